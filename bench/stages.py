"""In-process stage benchmarks: clean and dedup (the stages before NER), and index (bulk to the local server).
Each stage is called exactly as the worker calls it, minus Kafka; each reports wall and CPU time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.progress import Progress
from bench.stats import Rate, latency_summary
from wiredesk.connectors.elastic import SearchSink
from wiredesk.pipeline.batch import index_batch
from wiredesk.pipeline.clean import clean
from wiredesk.pipeline.dedup import Deduplicator, dedup
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.index import to_document
from wiredesk.pipeline.models import CleanedArticle, DedupedArticle, DedupInfo, EnrichedArticle, RawArticle
from wiredesk.pipeline.settings import Settings


@dataclass
class CleanResult:
    rate: Rate
    per_article: dict[str, float]
    refused: int
    cleaned: list[CleanedArticle] = field(repr=False)
    chars_in: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.rate.as_dict(),
            "per_article": self.per_article,
            "refused": self.refused,
            "chars_per_s": round(self.chars_in / self.rate.wall_s) if self.rate.wall_s else None,
        }


def bench_clean(raws: Sequence[RawArticle], progress: Progress) -> CleanResult:
    cleaned: list[CleanedArticle] = []
    times: list[float] = []
    refused = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i, raw in enumerate(raws, 1):
        t = time.perf_counter()
        try:
            cleaned.append(clean(raw))
        except InvalidInput:
            refused += 1  # the corpus has a few empty or boilerplate-only texts: the worker dead-letters them
        times.append(time.perf_counter() - t)
        if i % 100 == 0:
            progress.step(i, len(raws), f"{(time.perf_counter() - wall0) * 1000 / i:.1f} ms/article")
    rate = Rate(len(raws), time.perf_counter() - wall0, time.process_time() - cpu0)
    return CleanResult(rate, latency_summary(times), refused, cleaned, sum(len(r.text) for r in raws))


@dataclass
class DedupStream:
    """One deduplicator fed a stream in order: how the cost per article grows with the window."""

    corpus: Rate  # the first `corpus_size` articles: the real corpus
    total: Rate
    per_article: dict[str, float]
    growth: list[dict[str, float]]  # per tenth of the stream: window size at its end, ms/article within it
    levels_corpus: dict[str, int]
    levels_total: dict[str, int]
    deduplicator: Deduplicator = field(repr=False)
    infos: list[DedupInfo] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus.as_dict(),
            "scaled": self.total.as_dict(),
            "per_article": self.per_article,
            "growth": self.growth,
            "levels_corpus": self.levels_corpus,
            "levels_scaled": self.levels_total,
        }


def bench_dedup_stream(articles: Sequence[CleanedArticle], corpus_size: int, progress: Progress) -> DedupStream:
    # A plain dict as the store: in the worker it is a Faust table whose writes also go to a changelog topic,
    # which costs the worker more than this measures (see the e2e worker CPU per article).
    deduplicator = Deduplicator({})
    infos: list[DedupInfo] = []
    times: list[float] = []
    growth: list[dict[str, float]] = []
    step = max(1, len(articles) // 10)
    corpus_rate = Rate(0, 0.0, 0.0)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    chunk_wall, chunk_cpu = wall0, cpu0
    for i, article in enumerate(articles, 1):
        t = time.perf_counter()
        infos.append(dedup(article, deduplicator).info)
        times.append(time.perf_counter() - t)
        if i == corpus_size:
            corpus_rate = Rate(i, time.perf_counter() - wall0, time.process_time() - cpu0)
        if i % step == 0 or i == len(articles):
            now, cpu = time.perf_counter(), time.process_time()
            n = i - (growth[-1]["articles"] if growth else 0)
            growth.append(
                {
                    "articles": i,
                    "window": len(deduplicator),
                    "ms_per_article": round((now - chunk_wall) * 1000 / n, 3),
                    "cpu_ms_per_article": round((cpu - chunk_cpu) * 1000 / n, 3),
                }
            )
            chunk_wall, chunk_cpu = now, cpu
            progress.step(i, len(articles), f"window {len(deduplicator)}, {growth[-1]['ms_per_article']} ms/article")
    total = Rate(len(articles), time.perf_counter() - wall0, time.process_time() - cpu0)
    return DedupStream(
        corpus=corpus_rate,
        total=total,
        per_article=latency_summary(times),
        growth=growth,
        levels_corpus=dict(Counter(str(i.level) for i in infos[:corpus_size])),
        levels_total=dict(Counter(str(i.level) for i in infos)),
        deduplicator=deduplicator,
        infos=infos,
    )


def bench_index(settings: Settings, enriched: Sequence[EnrichedArticle], copies: int) -> dict[str, Any]:
    """The index stage as the worker runs it (pipeline.batch.index_batch: parse, documents, bulk of
    batch_size, outcomes bulk), with NER replaced by a lookup of articles enriched beforehand."""
    items = replicated(enriched, copies)
    by_id = {e.article.article_id: e for e in items}
    payloads = [DedupedArticle(article=e.article, dedup=e.dedup).model_dump_json().encode() for e in items]

    async def lookup(batch: Sequence[DedupedArticle]) -> list[EnrichedArticle]:
        return [by_id[d.article.article_id] for d in batch]

    async def no_dlq(payload: bytes, exc: BaseException, article_id: str | None, origin: str | None) -> None:
        raise RuntimeError(f"bench index stage dead-lettered {article_id}: {exc}")

    async def run() -> Rate:
        sink = SearchSink(settings)
        try:
            await sink.es.info()  # opens the connection before the clock starts
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for start in range(0, len(payloads), settings.batch_size):
                await index_batch(
                    payloads[start : start + settings.batch_size],
                    enrich=lookup,
                    sink=sink,
                    to_dlq=no_dlq,
                    index_name=settings.index_name,
                    outcomes_index=settings.outcomes_index,
                )
            return Rate(len(payloads), time.perf_counter() - wall0, time.process_time() - cpu0)
        finally:
            await sink.close()

    t0 = time.perf_counter()
    docs = [to_document(e, e.article.received_at) for e in items]
    to_doc_s = time.perf_counter() - t0
    rate = asyncio.run(run())
    doc_bytes = sum(len(DedupedArticle(article=e.article, dedup=e.dedup).model_dump_json()) for e in items[:200])
    return {
        **rate.as_dict(),
        "batch_size": settings.batch_size,
        "to_document_ms": round(to_doc_s * 1000 / len(docs), 3),
        "avg_message_kb": round(doc_bytes / min(200, len(items)) / 1024, 1),
    }


def replicated(enriched: Sequence[EnrichedArticle], copies: int) -> list[EnrichedArticle]:
    """`copies` articles made from the enriched sample under new ids (an index overwrites a known id, which
    is cheaper than a new document and would flatter the rate)."""
    out = []
    for i in range(copies):
        e = enriched[i % len(enriched)]
        aid = f"{e.article.article_id[:24]}{i:08d}"
        out.append(e.model_copy(update={"article": e.article.model_copy(update={"article_id": aid})}))
    return out
