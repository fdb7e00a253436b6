"""One document (a file's decoded text) in, the articles it holds out: plain text, HTML, flat JSON, JSON arrays
and JSON lines, IPTC ninjs, NewsML-G2 (and bare NITF), RSS and Atom.

A document whose format is not recognised raises InvalidInput with the reason: it is dead-lettered, never
indexed as text. A document of many items returns one entry per item; an item that cannot be an article is an
`ItemError` in its place, so the others still go through. Such an item is named `origin#n`: n counts from 1, the
element of a JSON array or newsMessage itemSet, or the line of a JSON-lines file."""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from wiredesk.connectors.formats.common import Item, ItemError
from wiredesk.connectors.formats.feed import parse_feed
from wiredesk.connectors.formats.flat import FIELDS, parse_flat
from wiredesk.connectors.formats.newsml import NAR, parse_news_item, parse_news_message, parse_nitf
from wiredesk.connectors.formats.ninjs import is_ninjs, parse_ninjs
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, RawArticle, WireMeta, article_id_for

__all__ = ["Item", "ItemError", "parse_document"]

HTML_SUFFIXES = frozenset({".html", ".htm"})
JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
XML_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".nitf"})
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ATOM = "http://www.w3.org/2005/Atom"
NITF = "http://iptc.org/std/NITF/2006-10-18/"
# How many keys of an unrecognised JSON object its refusal names: enough to see what it is, one line long.
KEYS_SHOWN = 12


def parse_document(text: str, *, suffix: str, origin: str, folder_source: str | None) -> list[Item]:
    """The articles in `text`. `suffix` is the file's (".json", ".xml", ...), lower case; `origin` names the
    document (a path or URL); `folder_source` is the drop folder's sub-folder, the source when the item names
    none.

    The suffix decides, except that a document declaring itself XML (`<?xml`) is read as XML whatever its name.
    Content alone never makes JSON or markup of a .txt: a wire story may well start with "[" or "<"."""
    if suffix == ".json":
        return _json_document(_load_json(text), origin=origin, folder_source=folder_source)
    if suffix in JSON_LINES_SUFFIXES:
        return _json_lines(text, origin=origin, folder_source=folder_source)
    if suffix in HTML_SUFFIXES:
        return [_plain(text, ContentType.HTML, origin=origin, folder_source=folder_source)]
    if suffix in XML_SUFFIXES or text.lstrip().startswith("<?xml"):
        items = _xml_document(text, origin=origin, folder_source=folder_source)
        if not items:  # a feed without entries: nothing lost, but a file that yields nothing is worth a look
            raise InvalidInput("the document holds no articles")
        return items
    return [_plain(text, ContentType.TEXT, origin=origin, folder_source=folder_source)]


def _plain(text: str, content_type: ContentType, *, origin: str, folder_source: str | None) -> RawArticle:
    return RawArticle(
        article_id=article_id_for(url=None, source=folder_source, title=None, text=text),
        origin=origin,
        content_type=content_type,
        text=text,
        source=folder_source,
        wire=WireMeta(input_format=content_type.value),
    )


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def _json_document(doc: Any, *, origin: str, folder_source: str | None) -> list[Item]:
    if isinstance(doc, list):
        if not doc:
            raise InvalidInput("empty JSON array: no articles")
        out: list[Item] = []
        for n, element in enumerate(doc, start=1):
            item_origin = f"{origin}#{n}"
            try:
                out.append(_json_item(element, origin=item_origin, folder_source=folder_source))
            except InvalidInput as exc:
                out.append(ItemError(item_origin, exc, json.dumps(element, ensure_ascii=False)))
        return out
    return [_json_item(doc, origin=origin, folder_source=folder_source)]


def _json_lines(text: str, *, origin: str, folder_source: str | None) -> list[Item]:
    out: list[Item] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        item_origin = f"{origin}#{n}"
        try:
            out.append(_json_item(_load_json(line), origin=item_origin, folder_source=folder_source))
        except InvalidInput as exc:
            out.append(ItemError(item_origin, exc, line))
    return out


def _json_item(obj: Any, *, origin: str, folder_source: str | None) -> RawArticle:
    if not isinstance(obj, dict):
        raise InvalidInput(f"JSON article must be an object, got {type(obj).__name__}")
    if is_ninjs(obj):
        return parse_ninjs(obj, origin=origin, folder_source=folder_source)
    if FIELDS & obj.keys():
        return parse_flat(obj, origin=origin, folder_source=folder_source)
    keys = ", ".join(sorted(obj)[:KEYS_SHOWN]) + (", ..." if len(obj) > KEYS_SHOWN else "")
    raise InvalidInput(f"JSON object is neither ninjs (no uri) nor a flat article (no body): keys {keys or '(none)'}")


def _xml_document(text: str, *, origin: str, folder_source: str | None) -> list[Item]:
    root = parse_xml(text)
    name = etree.QName(root)
    if name.namespace == NAR and name.localname == "newsItem":
        return [parse_news_item(root, origin=origin, folder_source=folder_source)]
    if name.namespace == NAR and name.localname == "newsMessage":
        return parse_news_message(root, origin=origin, folder_source=folder_source)
    if name.localname == "nitf" and name.namespace in (None, NITF):
        return [parse_nitf(root, origin=origin, folder_source=folder_source)]
    if (name.namespace, name.localname) in {(None, "rss"), (RDF, "RDF"), (ATOM, "feed")}:
        return parse_feed(text, origin=origin, folder_source=folder_source)
    raise InvalidInput(f"unrecognised XML: root element {root.tag}")


def parse_xml(text: str) -> etree._Element:
    """Parse without touching the network or expanding entities (no billion laughs, no external entity read of
    a local file), within libxml2's default size limits (huge_tree off). The text is already decoded, so the
    encoding its declaration names is overridden."""
    parser = etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"malformed XML: {exc}") from exc
    if root is None:
        raise InvalidInput("malformed XML: no root element")
    return root
