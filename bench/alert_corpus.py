"""Articles for the alert-latency phase: distinct stories (each must fire its own alert), and dropping one into
a folder the way a feed should: written under another name, then renamed in, so it lands whole at once."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from bench import corpus
from wiredesk.connectors.corpus import NewsArticle
from wiredesk.pipeline.clean import clean
from wiredesk.pipeline.dedup import Deduplicator, dedup
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import DedupLevel


def distinct_stories(articles: Sequence[NewsArticle], n: int) -> list[NewsArticle]:
    """`n` articles that the worker's own clean + dedup find to be n different stories, spread over the corpus
    (different days and outlets), so each fires exactly one alert and none is merged into another's story.

    One deduplicator sees every candidate, kept or not: a kept article is then unique even against the
    rejected ones, hence also against the smaller set the worker will see (fewer articles, fewer links)."""
    # Every step-th article: the corpus is in publication order, so this spans its four months and outlets.
    step = max(1, len(articles) // (n * 2))
    deduplicator = Deduplicator({})
    chosen: list[NewsArticle] = []
    for article in articles[::step]:
        try:
            cleaned = clean(corpus.raw_article(article))
        except InvalidInput:
            continue  # the worker would dead-letter it: no story, no alert
        if dedup(cleaned, deduplicator).info.level is DedupLevel.UNIQUE:
            chosen.append(article)
            if len(chosen) == n:
                return chosen
    raise SystemExit(f"only {len(chosen)} distinct stories among every {step}th article; {n} wanted")


def land(article: NewsArticle, name: str, staging: Path, folder: Path) -> float:
    """Write the article's JSON file in `staging` (same file system), rename it into the drop folder, and
    return when it landed (time.time(), the clock the worker's alert timestamps use)."""
    tmp = staging / name
    tmp.write_text(json.dumps(corpus.as_json(article)))
    os.replace(tmp, folder / name)
    return time.time()
