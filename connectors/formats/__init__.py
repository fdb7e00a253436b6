"""One document (a file's decoded text) in, the articles it holds out: plain text, HTML, flat JSON, JSON arrays
and JSON lines, IPTC ninjs, NewsML-G2, RSS and Atom.

A document whose format is not recognised raises InvalidInput with the reason: it is dead-lettered, never
indexed as text. A document of many items returns one entry per item; an item that cannot be an article is an
`ItemError` in its place, so the others still go through."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import InvalidInput
from pipeline.models import RawArticle


@dataclass(frozen=True)
class ItemError:
    """One item of a many-item document that cannot be an article. `origin` names the item (`path#3`)."""

    origin: str
    error: InvalidInput


Item = RawArticle | ItemError


def parse_document(text: str, *, suffix: str, origin: str, folder_source: str | None) -> list[Item]:
    """The articles in `text`. `suffix` is the file's (".json", ".xml", ...), lower case; `origin` names the
    document (a path or URL); `folder_source` is the drop folder's sub-folder, the source when the item names
    none."""
    raise InvalidInput("not implemented")
