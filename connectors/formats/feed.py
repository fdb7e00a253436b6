"""RSS 0.9x/1.0/2.0 and Atom documents (a dropped file, or a polled feed) to RawArticle."""

from __future__ import annotations

from pipeline.errors import InvalidInput
from pipeline.models import RawArticle


def parse_feed(text: str, *, origin: str, folder_source: str | None) -> list[RawArticle]:
    """Each entry of the feed in `text` as an article (its own content or summary as the text)."""
    raise InvalidInput("RSS/Atom documents are not supported yet")
