"""`wiredesk search`: full-text search with highlights, filters, and one hit per story."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.markup import escape

from wiredesk.connectors.elastic import sync_client
from wiredesk.pipeline.index import filter_clauses
from wiredesk.pipeline.settings import Settings

# How many entities to print per hit: enough to recognise the story, few enough for one line.
TOP_ENTITIES = 6
# Outlets listed per story with --one-per-story: Elasticsearch returns at most 100 inner hits per group
# (index.max_inner_result_window); the article count beyond that is still exact.
OUTLETS_MAX = 100
# title, lead and body are english-analysed for every article; a non-English article's text is also under
# <field>_i18n.<language> with its language's analyzer (pipeline/index.py), where "Regierungen" finds
# "Regierung". English articles have no _i18n fields, so their scores and order are as without them.
SEARCH_FIELDS = [
    "title^3",
    "lead^2",
    "body",
    "entities.name^2",
    *(f"{field}_i18n.*{boost}" for field, boost in (("title", "^3"), ("lead", "^2"), ("body", ""))),
]

BODY_FRAGMENT: dict[str, Any] = {"fragment_size": 160, "number_of_fragments": 1}

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """'30m', '24h', '7d', '2w' back from now, or an ISO date / date-time (UTC unless it says otherwise)."""
    text = value.strip().lower()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"--since {value!r}: give a duration like 30m, 24h, 7d, 2w or an ISO date like 2024-01-12"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SearchFilters:
    """Each list matches ANY of its values; all the filters given must hold (as in alerts.yml)."""

    entities: tuple[str, ...] = ()  # entity names as phrases: "Blinken" matches "Antony Blinken"
    sources: tuple[str, ...] = ()  # outlets, exactly
    tags: tuple[str, ...] = ()  # topic tags, exactly
    since: datetime | None = None  # indexed at or after
    story: str | None = None  # one story id
    storyline: str | None = None  # one storyline id: its stories' follow-ups, reactions, explainers

    def clauses(self) -> list[dict[str, Any]]:
        out = filter_clauses(entities=self.entities, sources=self.sources, tags=self.tags)
        if self.since is not None:
            out.append({"range": {"indexed_at": {"gte": self.since.isoformat()}}})
        if self.story:
            out.append({"term": {"story_id": self.story}})
        if self.storyline:
            out.append({"term": {"storyline_id": self.storyline}})
        return out


def build_query(text: str, filters: SearchFilters) -> dict[str, Any]:
    must: dict[str, Any] = (
        {"multi_match": {"query": text, "fields": SEARCH_FIELDS}} if text.strip() else {"match_all": {}}
    )
    return {"bool": {"must": [must], "filter": filters.clauses()}}


def search_articles(
    settings: Settings,
    query: str,
    size: int = 10,
    filters: SearchFilters | None = None,
    one_per_story: bool = False,
) -> list[dict[str, Any]]:
    """Hits as dicts: the document (without the body), `_score`, `highlight`, and with `one_per_story`
    `story_articles` (matching articles in the story) and `story_outlets` (their distinct sources)."""
    es = sync_client(settings)
    extra: dict[str, Any] = {}
    if one_per_story:
        # Field collapsing (checked on the local server and Elasticsearch 8): the best hit of each story,
        # with the story's other matching articles as inner hits for the outlet count.
        extra["collapse"] = {
            "field": "story_id",
            "inner_hits": {"name": "outlets", "size": OUTLETS_MAX, "_source": ["source"]},
        }
    if not query.strip():
        extra["sort"] = [{"indexed_at": {"order": "desc"}}]  # no relevance to rank by: newest first
    resp = es.search(
        index=settings.index_name,
        query=build_query(query, filters or SearchFilters()),
        size=size,
        highlight={"fields": {"body": BODY_FRAGMENT, "body_i18n.*": BODY_FRAGMENT, "title": {}, "title_i18n.*": {}}},
        source_excludes=["cleaning.removed", "body", "body_i18n", "lead_i18n", "title_i18n"],
        **extra,
    )
    return [_hit(h, one_per_story) for h in resp["hits"]["hits"]]


def _hit(hit: dict[str, Any], one_per_story: bool) -> dict[str, Any]:
    out = {**hit["_source"], "_score": hit.get("_score"), "highlight": hit.get("highlight", {})}
    if one_per_story:
        inner = hit.get("inner_hits", {}).get("outlets", {}).get("hits", {})
        sources = {(h.get("_source") or {}).get("source") for h in inner.get("hits", [])}
        out["story_outlets"] = sorted(s for s in sources if s)
        out["story_articles"] = int((inner.get("total") or {}).get("value", len(inner.get("hits", []))))
    return out


def top_entities(doc: dict[str, Any], n: int = TOP_ENTITIES) -> list[str]:
    ents = sorted(doc.get("entities", []), key=lambda e: (not e.get("salient"), -e.get("mentions", 0)))
    return [f"{e['name']} ({e['label']})" for e in ents[:n]]


def render_hits(hits: list[dict[str, Any]], out: Console) -> None:
    if not hits:
        out.print("no matching articles")
        return
    for hit in hits:
        out.print(f"[bold]{escape(str(hit.get('title')))}[/]")
        dedup = hit.get("dedup") or {}
        story = f"story {hit.get('story_id')}" + (
            " (canonical)" if dedup.get("is_canonical") else f" ({dedup.get('level')} of {dedup.get('duplicate_of')})"
        )
        out.print(
            f"  {escape(hit.get('source') or 'unknown source')} · "
            f"{hit.get('published_at') or hit.get('received_at')} · {story}"
        )
        if "story_outlets" in hit:
            outlets = hit["story_outlets"]
            out.print(
                f"  {len(outlets)} outlet(s), {hit['story_articles']} article(s): {escape(', '.join(outlets) or '-')}"
            )
        out.print(f"  entities: {escape(', '.join(top_entities(hit)) or '-')}")
        if hit.get("tags"):
            out.print(f"  tags: {escape(', '.join(hit['tags']))}")
        fragments = _fragments(hit["highlight"], "body") or _fragments(hit["highlight"], "title")
        if fragments:
            # Escape the text first so brackets in an article are not read as markup, then mark the hits.
            # A fragment may span paragraphs: one line reads better.
            fragment = escape(" ".join(fragments[0].split()))
            fragment = fragment.replace("<em>", "[reverse]").replace("</em>", "[/reverse]")
            out.print("  … " + fragment + " …")
        out.print()


def _fragments(highlight: dict[str, list[str]], field: str) -> list[str]:
    """The field's highlighted fragments, or its language twin's (body_i18n.de) for a non-English article."""
    return highlight.get(field) or next((v for k, v in highlight.items() if k.startswith(f"{field}_i18n.")), [])
