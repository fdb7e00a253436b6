"""IPTC NewsML-G2 newsItem / newsMessage (XML, NITF or XHTML inlineXML bodies) to RawArticle, and bare NITF."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from wiredesk.connectors.formats.common import (
    Item,
    ItemError,
    body_type,
    integer,
    one_line,
    pub_status,
    timestamp,
)
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, PubStatus, RawArticle, Subject, WireMeta, article_id_for

NAR = "http://iptc.org/std/nar/2006-10-01/"  # every NewsML-G2 release (2.0 to 2.35) uses this one namespace
NS = {"n": NAR}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Elements whose text is one paragraph of the story (NITF body.content and XHTML alike).
_BLOCKS = frozenset({"p", "hl2", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote"})


@dataclass(frozen=True)
class _Body:
    text: str
    content_type: ContentType
    headline: str | None = None  # NITF hedline/hl1, when contentMeta has no headline
    byline: str | None = None  # NITF byline, when contentMeta has no `by`


def parse_news_message(root: etree._Element, *, origin: str, folder_source: str | None) -> list[Item]:
    """Every item of a newsMessage: a newsItem is an article (or an ItemError saying why not); packageItem,
    conceptItem, planningItem and knowledgeItem carry no article text and become an ItemError saying so."""
    item_set = root.find("n:itemSet", NS)
    items = [] if item_set is None else [c for c in item_set if isinstance(c.tag, str)]
    if not items:
        raise InvalidInput("NewsML-G2 newsMessage holds no items (no itemSet, or an empty one)")
    out: list[Item] = []
    for n, child in enumerate(items, start=1):
        item_origin = f"{origin}#{n}"
        kind = etree.QName(child).localname
        try:
            if kind != "newsItem":
                raise InvalidInput(f"{kind} skipped: only a newsItem carries an article")
            out.append(parse_news_item(child, origin=item_origin, folder_source=folder_source))
        except InvalidInput as exc:
            out.append(ItemError(item_origin, exc, etree.tostring(child, encoding="unicode")))
    return out


def parse_news_item(item: etree._Element, *, origin: str, folder_source: str | None) -> RawArticle:
    guid = one_line(item.get("guid"))
    if guid is None:
        raise InvalidInput("NewsML-G2 newsItem has no guid")
    status = pub_status(_attr(item, "itemMeta/pubStatus", "qcode"), "pubStatus")
    content_meta = item.find("n:contentMeta", NS)
    # An item without contentMeta (a kill may come that bare) reads as one whose contentMeta states nothing.
    meta = content_meta if content_meta is not None else etree.Element(f"{{{NAR}}}contentMeta")
    body = _body(item, guid=guid, usable=status is PubStatus.USABLE)
    title = _text(meta, "headline") or body.headline
    source = (
        _text(item, "itemMeta/provider/name")
        or _text(item, "rightsInfo/copyrightHolder/name")
        or _attr(item, "itemMeta/provider", "literal", "qcode", "uri")
        or folder_source
    )
    url = next(
        (link.get("href") for link in item.iterfind("n:itemMeta/n:link", NS) if _is_canonical(link.get("rel"))),
        None,
    )
    published_at = (
        timestamp(_text(meta, "contentCreated"), "contentCreated")
        or timestamp(_text(item, "itemMeta/versionCreated"), "versionCreated")
        or timestamp(_text(item, "itemMeta/firstCreated"), "firstCreated")
    )
    wire = WireMeta(
        input_format="newsml-g2",
        guid=guid,
        version=integer(item.get("version"), "newsItem version"),
        pub_status=status,
        byline=_text(meta, "by") or body.byline,
        located=_text(meta, "located/name") or _dateline_place(_text(meta, "dateline")),
        language=_attr(meta, "language", "tag") or one_line(item.get(XML_LANG)),
        urgency=integer(_text(meta, "urgency"), "urgency"),
        subjects=tuple(
            Subject(code=s.get("qcode") or s.get("uri"), name=_text(s, "name")) for s in meta.iterfind("n:subject", NS)
        ),
    )
    return RawArticle(
        article_id=article_id_for(guid=guid, url=url, source=source, title=title, text=body.text),
        origin=origin,
        content_type=body.content_type,
        text=body.text,
        title=title,
        source=source,
        url=url,
        published_at=published_at,
        wire=wire,
    )


def parse_nitf(root: etree._Element, *, origin: str, folder_source: str | None) -> RawArticle:
    """A bare NITF document: head/docdata for the id, date and urgency, body.head for headline and byline."""
    body = _nitf_body(root)
    if body is None:
        raise InvalidInput("NITF document has no text in body.content")
    title = one_line(root.findtext("{*}head/{*}title")) or body.headline
    guid = _any_attr(root, "{*}head/{*}docdata/{*}doc-id", "id-string")
    docdata_date = _any_attr(root, "{*}head/{*}docdata/{*}date.issue", "norm")
    source = folder_source
    return RawArticle(
        article_id=article_id_for(guid=guid, url=None, source=source, title=title, text=body.text),
        origin=origin,
        content_type=body.content_type,
        text=body.text,
        title=title,
        source=source,
        published_at=timestamp(docdata_date, "NITF date.issue"),
        wire=WireMeta(
            input_format="nitf",
            guid=guid,
            byline=body.byline,
            language=one_line(root.get(XML_LANG)),
            urgency=integer(_any_attr(root, "{*}head/{*}docdata/{*}urgency", "ed-urg"), "NITF urgency"),
        ),
    )


def _all_text(el: etree._Element, sep: str = "") -> str | None:
    """The element's text and its descendants', whitespace collapsed. `sep` " " keeps words apart where the
    markup separates them with no space ("By Meredith Jameson,<byttl>Staff Reporter</byttl>")."""
    return one_line(sep.join(t for t in el.itertext() if isinstance(t, str)))


def _path(path: str) -> str:
    return "/".join(f"n:{step}" for step in path.split("/"))


def _text(parent: etree._Element, path: str) -> str | None:
    el = parent.find(_path(path), NS)
    return None if el is None else _all_text(el)


def _attr(parent: etree._Element, path: str, *names: str) -> str | None:
    el = parent.find(_path(path), NS)
    if el is None:
        return None
    return next((v for name in names if (v := one_line(el.get(name)))), None)


def _any_attr(parent: etree._Element, path: str, name: str) -> str | None:
    el = parent.find(path)
    return None if el is None else one_line(el.get(name))


def _dateline_place(dateline: str | None) -> str | None:
    """An item whose `located` names no place may still state it in its dateline: the place is what comes
    before the date or the agency ("MOSCOW, Monday (Reuters)" -> "MOSCOW")."""
    return one_line(re.split(r"[,(]", dateline, maxsplit=1)[0]) if dateline else None


def _is_canonical(rel: str | None) -> bool:
    # rel is a qcode ("irel:canonical") or a plain link relation ("canonical")
    return rel is not None and rel.rpartition(":")[2] == "canonical"


def _body(item: etree._Element, *, guid: str, usable: bool) -> _Body:
    """The first inlineXML or inlineData of the contentSet that holds text. A kill needs none (text "")."""
    remote = None
    for child in item.iterfind("n:contentSet/*", NS):
        kind = etree.QName(child).localname
        body: _Body | None = None
        if kind == "inlineXML":
            body = _markup_body(child)
        elif kind == "inlineData":
            data = (child.text or "").strip()
            body = _Body(data, body_type(data, child.get("contenttype"))) if data else None
        elif kind == "remoteContent":
            remote = child.get("href") or child.get("residref") or "(no href)"
        if body is not None:
            return body
    if not usable:
        return _Body("", ContentType.TEXT)
    if remote is not None:
        raise InvalidInput(f"newsItem {guid}: body is remote, not included (remoteContent {remote})")
    raise InvalidInput(f"newsItem {guid} has no body: no inlineXML or inlineData with text in its contentSet")


def _markup_body(inline: etree._Element) -> _Body | None:
    root = next((c for c in inline if isinstance(c.tag, str)), None)
    if root is None:
        return None
    if etree.QName(root).localname == "nitf":
        return _nitf_body(root)
    body = root.find(".//{*}body")
    text = _paragraphs(root if body is None else body)
    return _Body(text, ContentType.TEXT) if text else None


def _nitf_body(nitf: etree._Element) -> _Body | None:
    content = nitf.find(".//{*}body.content")
    text = _paragraphs(content) if content is not None else ""
    if not text:
        return None
    head = nitf.find(".//{*}body.head")
    if head is None:
        return _Body(text, ContentType.TEXT)
    hl1, byline = head.find("{*}hedline/{*}hl1"), head.find("{*}byline")
    return _Body(
        text,
        ContentType.TEXT,
        headline=None if hl1 is None else _all_text(hl1),
        byline=None if byline is None else _all_text(byline, " "),
    )


def _paragraphs(el: etree._Element) -> str:
    """One paragraph per block element, a blank line between, as the clean stage reads plain text; an element
    with no blocks is one paragraph."""
    found = []
    for block in el.iter():
        if not isinstance(block.tag, str) or etree.QName(block).localname not in _BLOCKS:
            continue
        if any(etree.QName(a).localname in _BLOCKS for a in block.iterancestors()):
            continue  # a <p> inside a <li> or <blockquote>: already part of that block's text
        if text := _all_text(block):
            found.append(text)
    if not found and (whole := _all_text(el, " ")):
        found.append(whole)
    return "\n\n".join(found)
