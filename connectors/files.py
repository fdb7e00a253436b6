"""Turn an article file into a RawArticle, or say precisely why it cannot be one.

Plain text (like seeds/), HTML (.html/.htm), and JSON objects with title/body/source/url/published_at."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import InvalidInput
from pipeline.models import ContentType, RawArticle, article_id_for

HTML_SUFFIXES = {".html", ".htm"}
# Files an editor or a copy in progress leaves behind; picking them up would send half an article.
IGNORED_SUFFIXES = {".tmp", ".part", ".swp", ".crdownload"}


class JsonArticle(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    body: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None


def is_candidate(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() not in IGNORED_SUFFIXES


def decode(data: bytes) -> str:
    """Text from bytes: UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"marked UTF-16 by its BOM but does not decode: {exc.reason} at byte {exc.start}"
            ) from exc
    if b"\x00" in data[:8192]:
        raise InvalidInput("binary file (NUL bytes), not an article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not valid UTF-8: {exc.reason} at byte {exc.start}") from exc


def read_article(path: Path, *, max_bytes: int, root: Path | None = None) -> RawArticle:
    """Read one file. `root` is the drop folder: links out of it are refused and a sub-folder names the source."""
    if root is not None:
        resolved, base = path.resolve(), root.resolve()
        if not resolved.is_relative_to(base):
            raise InvalidInput(f"refused: {path} points outside the drop folder {root}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (WIREDESK_MAX_FILE_BYTES)")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(f"file disappeared before it could be read: {path}") from exc
    text = decode(data)
    if not text.strip():
        raise InvalidInput("empty file" if not text else "file holds only whitespace")
    folder_source = None
    if root is not None and path.parent.resolve() != root.resolve():
        folder_source = path.parent.name
    if path.suffix.lower() == ".json":
        return _from_json(text, origin=str(path), folder_source=folder_source)
    content_type = ContentType.HTML if path.suffix.lower() in HTML_SUFFIXES else ContentType.TEXT
    return RawArticle(
        article_id=article_id_for(url=None, source=folder_source, title=None, text=text),
        origin=str(path),
        content_type=content_type,
        text=text,
        source=folder_source,
    )


def _from_json(text: str, *, origin: str, folder_source: str | None) -> RawArticle:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(obj, dict):
        raise InvalidInput(f"JSON article must be an object, got {type(obj).__name__}")
    try:
        item = JsonArticle.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"JSON article fields: {problems}") from exc
    if not item.body:
        raise InvalidInput("JSON article has an empty body")
    source = item.source or folder_source
    body_is_html = "<" in item.body and "</" in item.body
    return RawArticle(
        article_id=article_id_for(url=item.url, source=source, title=item.title, text=item.body),
        origin=origin,
        content_type=ContentType.HTML if body_is_html else ContentType.TEXT,
        text=item.body,
        title=item.title,
        source=source,
        url=item.url,
        published_at=item.published_at,
    )
