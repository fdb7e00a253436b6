"""wiredesk's own flat JSON article: {title, body, source, url, published_at}, only body required."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from wiredesk.connectors.formats.common import body_type
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import RawArticle, WireMeta, article_id_for


class JsonArticle(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    body: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None


FIELDS = frozenset(JsonArticle.model_fields)


def parse_flat(obj: dict[str, Any], *, origin: str, folder_source: str | None) -> RawArticle:
    try:
        item = JsonArticle.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"JSON article fields: {problems}") from exc
    if not item.body:
        raise InvalidInput("JSON article has an empty body")
    source = item.source or folder_source
    return RawArticle(
        article_id=article_id_for(url=item.url, source=source, title=item.title, text=item.body),
        origin=origin,
        content_type=body_type(item.body),
        text=item.body,
        title=item.title,
        source=source,
        url=item.url,
        published_at=item.published_at,
        wire=WireMeta(input_format="json"),
    )
