"""IPTC ninjs 1.x, 2.x and 3.x (JSON) to RawArticle.

The versions name the same things differently: 1.x has `headline`, `body_text`/`body_html`, `byline`, `subject`
[{scheme, code}]; 2.x has `headlines`/`bodies` [{role, contenttype, value}], `by`, `subjects` [{uri, literal}];
3.x is 2.x in camelCase (`versionCreated`, `pubStatus`, `contentType`). Keys are read case-insensitively, so one
reader serves all three."""

from __future__ import annotations

from typing import Any

from wiredesk.connectors.formats.common import body_type, integer, one_line, pub_status, timestamp
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, PubStatus, RawArticle, Subject, WireMeta, article_id_for


def is_ninjs(obj: dict[str, Any]) -> bool:
    # `uri` is the one property every ninjs version requires; wiredesk's flat JSON names its link `url`.
    return "uri" in obj


def parse_ninjs(obj: dict[str, Any], *, origin: str, folder_source: str | None) -> RawArticle:
    item = _lower(obj)
    guid = one_line(item.get("uri"))
    if guid is None:
        raise InvalidInput("ninjs item: uri is empty or not a string")
    status = pub_status(item.get("pubstatus"), "ninjs pubstatus")
    body = _text(item, "body")
    if body is None:
        # A summary-only item (NTB sends teasers so) is still an article; its description is its text.
        body = _text(item, "description")
    if body is None:
        if status is PubStatus.USABLE:
            kind = one_line(item.get("type")) or "text"
            raise InvalidInput(f"ninjs {kind} item {guid} has no body (bodies, body_*, descriptions)")
        body = ("", ContentType.TEXT)  # a kill needs no text: it only takes the item out of the index
    text, content_type = body
    title = _headline(item)
    source = one_line(item.get("copyrightholder")) or _first_name(item, "infosources", "infosource") or folder_source
    published_at = timestamp(item.get("versioncreated"), "ninjs versioncreated") or timestamp(
        item.get("firstcreated"), "ninjs firstcreated"
    )
    wire = WireMeta(
        input_format="ninjs",
        guid=guid,
        version=integer(item.get("version"), "ninjs version"),
        pub_status=status,
        byline=one_line(item.get("by")) or one_line(item.get("byline")),
        located=one_line(item.get("located")),
        language=one_line(item.get("language")),
        urgency=integer(item.get("urgency"), "ninjs urgency"),
        subjects=_subjects(item),
    )
    return RawArticle(
        article_id=article_id_for(guid=guid, url=None, source=source, title=title, text=text),
        origin=origin,
        content_type=content_type,
        text=text,
        title=title,
        source=source,
        published_at=published_at,
        wire=wire,
    )


def _lower(obj: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items()}


def _objects(item: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = item.get(key)
    return [_lower(v) for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(item: dict[str, Any], kind: str) -> tuple[str, ContentType] | None:
    """The item's `kind` ("body" or "description"): from the 2.x/3.x array (`bodies`, `descriptions`) or the
    1.x properties (`body_html`, `body_text`, ...). An HTML version is preferred: its paragraphs survive, where
    the plain version of a wire story is often one run-on line."""
    found: list[tuple[str, ContentType]] = []
    for entry in _objects(item, "bodies" if kind == "body" else "descriptions"):
        value = entry.get("value")
        if isinstance(value, str) and value.strip():
            found.append((value, body_type(value, one_line(entry.get("contenttype")))))
    for key, value in item.items():
        if key.startswith(f"{kind}_") and isinstance(value, str) and value.strip():
            found.append((value, body_type(value, key)))
    return next((f for f in found if f[1] is ContentType.HTML), found[0] if found else None)


def _headline(item: dict[str, Any]) -> str | None:
    headlines = _objects(item, "headlines")
    main = next((h for h in headlines if h.get("role") == "main"), headlines[0] if headlines else {})
    return one_line(main.get("value")) or one_line(item.get("headline"))


def _first_name(item: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        for entry in _objects(item, key):
            if name := one_line(entry.get("name")):
                return name
    return None


def _subjects(item: dict[str, Any]) -> tuple[Subject, ...]:
    subjects = []
    for entry in _objects(item, "subjects") + _objects(item, "subject"):
        # 2.x/3.x identify a subject by `uri` or a free `literal`; 1.x by `code` within a `scheme` URI.
        code = one_line(entry.get("uri")) or one_line(entry.get("literal")) or one_line(entry.get("qcode"))
        if code is None and (bare := one_line(entry.get("code"))):
            code = _scheme_code(one_line(entry.get("scheme")), bare)
        name = one_line(entry.get("name"))
        if code or name:
            subjects.append(Subject(code=code, name=name))
    return tuple(subjects)


def _scheme_code(scheme: str | None, code: str) -> str:
    """A scheme URI ("http://cv.iptc.org/newscodes/subjectcode/") and a code make the concept's URI; a scheme alias
    ("subj") and a code make a qcode ("subj:04000000"), as IPTC writes them."""
    if scheme is None:
        return code
    return scheme + code if scheme.endswith(("/", "#")) else f"{scheme}:{code}"
