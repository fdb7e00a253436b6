"""Where the worker's CPU goes, from a cProfile of its pure path (py-spy is not available): per article, the
same steps the agents run (pipeline/steps.py: parse -> clean + head vector -> serialise -> dedup -> serialise ->
parse; then enrich in batches -> to_document), minus Kafka, Elasticsearch and the NER process boundary.

Time in built-ins and third-party helpers (re, numpy, hashlib...) is charged to the code that called them
(their main caller), so "clean" includes clean's regexes and "NER model" is spaCy and thinc themselves."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wiredesk.pipeline.dedup import Deduplicator
from wiredesk.pipeline.enrich import enrich, load_nlp
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.index import to_document
from wiredesk.pipeline.models import DedupedArticle, RawArticle, utcnow
from wiredesk.pipeline.steps import clean_step, dedup_step

Func = tuple[str, int, str]
_ROOT = str(Path(__file__).resolve().parent.parent) + "/"

_BUCKETS = (
    ("pipeline/clean", "clean"),
    ("pipeline/encoder", "clean: head vector"),
    ("pipeline/steps", "steps (pipeline/steps.py)"),
    ("pipeline/learned", "dedup"),
    ("pipeline/dedup", "dedup"),
    ("pipeline/similarity", "dedup"),
    ("pipeline/entities", "enrich: entity normalisation"),
    ("pipeline/language", "enrich: language detection"),
    ("pipeline/enrich", "enrich: zones, tags"),
    ("pipeline/index", "index: to_document"),
    ("pipeline/batch", "index: batch"),
    ("connectors/app", "agents (connectors/app.py)"),
    ("connectors/alert", "alerts"),
    ("pipeline/alerts", "alerts"),
    ("/spacy/", "NER model (spaCy/thinc)"),
    ("/thinc/", "NER model (spaCy/thinc)"),
    ("/pydantic", "pydantic (parse/serialise)"),
    ("/faust/", "Faust"),
    ("/mode/", "Faust"),
    ("/aiokafka/", "Kafka client (aiokafka)"),
    ("/kafka/", "Kafka client (aiokafka)"),
    ("/elasticsearch/", "Elasticsearch client"),
    ("/elastic_transport/", "Elasticsearch client"),
    ("/aiohttp/", "Elasticsearch client"),
    ("/asyncio/", "asyncio event loop"),
    ("bench/", "harness"),
)


def _own_bucket(func: Func) -> str | None:
    path = func[0].replace("\\", "/")
    if path.endswith(".pyx") and ("thinc" in path or "spacy" in path):
        return "NER model (spaCy/thinc)"
    for needle, bucket in _BUCKETS:
        if needle in path:
            return bucket
    return None


def _bucket(func: Func, stats: dict[Func, Any], memo: dict[Func, str], depth: int = 0) -> str:
    if func in memo:
        return memo[func]
    own = _own_bucket(func)
    if own is None:
        callers: dict[Func, Any] = stats.get(func, (0, 0, 0, 0, {}))[4]
        if callers and depth < 20:
            main = max(callers.items(), key=lambda kv: kv[1][3] if isinstance(kv[1], tuple) else 0)[0]
            own = _bucket(main, stats, memo, depth + 1)
        else:
            own = "other"
    memo[func] = own
    return own


def _worker_path(raws: Sequence[bytes], batch_size: int) -> None:
    """The worker's steps in one thread: clean (with the head vector), dedup, then NER and the documents."""
    deduplicator = Deduplicator({})
    nlp = load_nlp()
    pending: list[bytes] = []
    for payload in raws:
        try:
            cleaned = clean_step(payload)
        except InvalidInput:
            continue
        pending.append(dedup_step(cleaned.model_dump_json().encode(), deduplicator, None).model_dump_json().encode())
    for start in range(0, len(pending), batch_size):
        batch = [DedupedArticle.model_validate_json(p) for p in pending[start : start + batch_size]]
        now = utcnow()
        for item in enrich(batch, nlp):
            to_document(item, now)


def profile_worker_path(raws: Sequence[RawArticle], batch_size: int, top: int = 15) -> dict[str, Any]:
    payloads = [r.model_dump_json().encode() for r in raws]
    load_nlp()  # loading the model is start-up, not per-article work
    profiler = cProfile.Profile()
    profiler.runcall(_worker_path, payloads, batch_size)
    return summarise(pstats.Stats(profiler), len(raws), top)


def summarise(st: pstats.Stats, articles: int, top: int = 15) -> dict[str, Any]:
    """Time by part (see the module doc) and the top functions by own time, per article."""
    stats: dict[Func, Any] = st.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    memo: dict[Func, str] = {}
    buckets: dict[str, float] = {}
    for func, (_, _, tottime, _, _) in stats.items():
        b = _bucket(func, stats, memo)
        buckets[b] = buckets.get(b, 0.0) + tottime
    functions = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    n = max(articles, 1)
    return {
        "articles": articles,
        "total_s": round(total, 2),
        "ms_per_article": round(total * 1000 / n, 1),
        "by_part": {
            k: {"ms_per_article": round(v * 1000 / n, 2), "share": round(v / total, 3)}
            for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])
        },
        "top_functions": [
            {
                "function": _name(func),
                "tottime_s": round(v[2], 3),
                "share": round(v[2] / total, 3),
                "calls": v[1],
                "part": memo.get(func, "other"),
            }
            for func, v in functions
        ],
    }


def _name(func: Func) -> str:
    path, line, name = func
    if path == "~":
        return name
    short = path.replace("\\", "/")
    for marker in ("site-packages/", _ROOT):
        if marker in short:
            short = short.split(marker, 1)[1]
    return f"{short}:{line}({name})"
