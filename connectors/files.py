"""Read an article file: its decoding, size limit and place in the drop folder; what it holds is read by
connectors.formats (plain text, HTML, JSON, ninjs, NewsML-G2, RSS/Atom)."""

from __future__ import annotations

from pathlib import Path

from wiredesk.connectors.formats import Item, parse_document
from wiredesk.pipeline.errors import InvalidInput

# Files an editor or a copy in progress leaves behind; picking them up would send half an article.
IGNORED_SUFFIXES = {".tmp", ".part", ".swp", ".crdownload"}


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


def read_articles(path: Path, *, max_bytes: int, root: Path | None = None) -> list[Item]:
    """Read one file: its articles, or an ItemError for each item of it that is not one. A file that cannot be
    read at all, or whose format is not recognised, raises InvalidInput. `root` is the drop folder: links out of
    it are refused, and a sub-folder names the source of the items that name none."""
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
    return parse_document(text, suffix=path.suffix.lower(), origin=str(path), folder_source=folder_source)
