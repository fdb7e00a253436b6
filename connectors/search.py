"""`wiredesk search`: full-text search with highlights."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from connectors.elastic import sync_client
from pipeline.settings import Settings

# How many entities to print per hit: enough to recognise the story, few enough for one line.
TOP_ENTITIES = 6


def search_articles(settings: Settings, query: str, size: int = 10) -> list[dict[str, Any]]:
    es = sync_client(settings)
    q: dict[str, Any] = (
        {"multi_match": {"query": query, "fields": ["title^3", "lead^2", "body", "entities.name^2"]}}
        if query.strip()
        else {"match_all": {}}
    )
    resp = es.search(
        index=settings.index_name,
        query=q,
        size=size,
        highlight={"fields": {"body": {"fragment_size": 160, "number_of_fragments": 1}, "title": {}}},
        source_excludes=["cleaning.removed", "body"],
    )
    return [
        {**hit["_source"], "_score": hit["_score"], "highlight": hit.get("highlight", {})}
        for hit in resp["hits"]["hits"]
    ]


def top_entities(doc: dict[str, Any], n: int = TOP_ENTITIES) -> list[str]:
    ents = sorted(doc.get("entities", []), key=lambda e: (not e.get("salient"), -e.get("mentions", 0)))
    return [f"{e['name']} ({e['label']})" for e in ents[:n]]


def render_hits(hits: list[dict[str, Any]], out: Console) -> None:
    if not hits:
        out.print("no matching articles")
        return
    for hit in hits:
        out.print(f"[bold]{hit.get('title')}[/]")
        dedup = hit.get("dedup") or {}
        story = f"story {hit.get('story_id')}" + (
            " (canonical)" if dedup.get("is_canonical") else f" ({dedup.get('level')} of {dedup.get('duplicate_of')})"
        )
        out.print(
            f"  {hit.get('source') or 'unknown source'} · {hit.get('published_at') or hit.get('received_at')} · {story}"
        )
        out.print(f"  entities: {', '.join(top_entities(hit)) or '-'}")
        fragments = hit["highlight"].get("body") or hit["highlight"].get("title") or []
        if fragments:
            out.print("  … " + fragments[0].replace("<em>", "[reverse]").replace("</em>", "[/reverse]") + " …")
        out.print()
