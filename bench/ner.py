"""The enrich stage (spaCy NER + entity normalisation + tags): one process, two processes each loading the
model (what a process pool across the 2 cores would give), and the naive baseline's NER (the full default
pipeline, one nlp(text) per whole article) on the same articles."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier
from typing import Any

from bench import sysinfo
from bench.baseline_logic import naive_clean
from bench.stats import Rate
from wiredesk.pipeline.enrich import enrich, load_nlp
from wiredesk.pipeline.models import DedupedArticle, EnrichedArticle


def _chars(items: Sequence[DedupedArticle]) -> int:
    return sum(len(i.article.body) + len(i.article.title) for i in items)


def _batches(items: Sequence[DedupedArticle], size: int) -> list[list[DedupedArticle]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def bench_ner_one(items: Sequence[DedupedArticle], batch_size: int) -> tuple[dict[str, Any], list[EnrichedArticle]]:
    nlp = load_nlp()
    enrich(items[:1], nlp)  # the first call pays lazy initialisation inside spaCy: not part of the rate
    out: list[EnrichedArticle] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for batch in _batches(items, batch_size):
        out.extend(enrich(batch, nlp))
    rate = Rate(len(items), time.perf_counter() - wall0, time.process_time() - cpu0)
    return {**rate.as_dict(), "chars_per_s": round(_chars(items) / rate.wall_s), "batch_size": batch_size}, out


def _child(jobs: list[list[str]], barrier: Barrier, results: Any, pipe_batch: int | None) -> None:
    nlp = load_nlp()
    if pipe_batch:
        # How many texts spaCy runs through the model at once (enrich() leaves it at the model's default).
        nlp.batch_size = pipe_batch
    batches = [[DedupedArticle.model_validate_json(j) for j in batch] for batch in jobs]
    if batches:
        enrich(batches[0][:1], nlp)
    barrier.wait()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    for batch in batches:
        enrich(batch, nlp)
        n += len(batch)
    results.put((n, time.perf_counter() - wall0, time.process_time() - cpu0, sysinfo.peak_rss_mb(os.getpid())))


def bench_ner_processes(
    items: Sequence[DedupedArticle], batch_size: int, processes: int, pipe_batch: int | None = None
) -> dict[str, Any]:
    """`processes` spawned processes, each loading the model as a pool worker would; the clock starts when
    every process has its model loaded and warmed."""
    ctx = mp.get_context("spawn")
    # Articles dealt round robin, then batched within each process: every process gets an equal share even
    # when the sample is smaller than processes x batch_size.
    shares = [
        [[i.model_dump_json() for i in b] for b in _batches(items[p::processes], batch_size)] for p in range(processes)
    ]
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(shares[p], barrier, results, pipe_batch), name=f"bench-ner-{p}")
        for p in range(processes)
    ]
    for proc in procs:
        proc.start()
    try:
        barrier.wait(timeout=180)
        wall0 = time.perf_counter()
        done = [results.get(timeout=1800) for _ in procs]
        wall = time.perf_counter() - wall0
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    rate = Rate(sum(d[0] for d in done), wall, sum(d[2] for d in done))
    return {
        **rate.as_dict(),
        "processes": processes,
        "nlp_pipe_batch": pipe_batch or "model default",
        "chars_per_s": round(_chars(items) / wall),
        "peak_rss_mb_per_process": [round(d[3] or 0, 1) for d in done],
    }


def bench_baseline_ner(texts: Sequence[str]) -> dict[str, Any]:
    """What the typical pipeline does: the full default pipeline, nlp(text) on each whole article."""
    from bench.baseline_logic import load_full_model

    nlp = load_full_model()
    nlp(texts[0])
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for text in texts:
        nlp(naive_clean(text))
    rate = Rate(len(texts), time.perf_counter() - wall0, time.process_time() - cpu0)
    return {**rate.as_dict(), "chars_per_s": round(sum(map(len, texts)) / rate.wall_s)}
