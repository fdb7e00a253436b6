"""The bench's phases, in order, each filling its part of the results."""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench import (
    alert_corpus,
    alert_latency,
    corpus,
    e2e,
    feeds,
    limits,
    ner,
    profiling,
    stages,
    window,
    worker_profile,
)
from bench.plan import NER_PIPE_BATCH, Plan
from bench.progress import Progress
from bench.servers import local_servers
from wiredesk.connectors.corpus import NewsArticle
from wiredesk.pipeline.index import to_document
from wiredesk.pipeline.models import DedupedArticle, DedupLevel, EnrichedArticle, utcnow
from wiredesk.pipeline.settings import Settings


def in_process(plan: Plan, articles: list[NewsArticle], results: dict[str, Any], progress: Progress) -> None:
    """Clean, dedup (stream, scaled, full windows), NER, the pure-path profile, then the index stage and the
    servers' limits on fresh local servers."""
    settings = Settings()
    st: dict[str, Any] = {}
    results["stages"] = st
    raws = [corpus.raw_article(a) for a in articles[: plan.clean_articles]]
    results["corpus"]["used_in_process"] = len(raws)
    results["corpus"]["mean_chars"] = round(sum(len(r.text) for r in raws) / len(raws))

    with progress.phase(f"clean ({len(raws)} articles)"):
        cleaned_result = stages.bench_clean(raws, progress)
        st["clean"] = cleaned_result.as_dict()
    cleaned = cleaned_result.cleaned

    with progress.phase(f"dedup: the corpus, then scaled with synthetic edits to {plan.scaled_total}"):
        stream = stages.bench_dedup_stream(corpus.scaled(cleaned, plan.scaled_total), len(cleaned), progress)
        st["dedup"] = stream.as_dict()

    with progress.phase(f"dedup against full windows of {', '.join(f'{w // 1000}k' for w in plan.windows)}"):
        probes = corpus.probes(cleaned, plan.probes)
        base_store = dict(stream.deduplicator.store)
        st["dedup_windows"] = []
        for size in plan.windows:
            progress.say(f"  building a {size:,}-article window and deduplicating {len(probes)} probes")
            st["dedup_windows"].append(window.bench_window(base_store, size, probes))
        del base_store

    sample = [
        DedupedArticle(article=a, dedup=info)
        for a, info in zip(cleaned, stream.infos, strict=False)
        if info.level is not DedupLevel.EXACT
    ][: plan.ner_sample]
    del stream
    with progress.phase(f"NER: {len(sample)} articles on 1 process, 2 processes, the baseline's way"):
        texts = {r.article_id: r.text for r in raws}
        st["ner"], enriched = _ner(plan, settings, sample, texts, progress)

    with progress.phase(f"cProfile of the worker's pure path ({plan.profile_articles} articles)"):
        results["profile"] = profiling.profile_worker_path(raws[: plan.profile_articles], settings.batch_size)

    with progress.phase("index stage and the servers' limits (fresh local servers)"), local_servers("limits") as srv:
        st["index"] = stages.bench_index(srv.settings, enriched, plan.index_docs)
        progress.say(f"  index stage: {st['index']['per_s']} articles/s")
        now = utcnow()
        docs = [to_document(e, now) for e in stages.replicated(enriched, plan.bulk_docs)]
        payloads = [r.model_dump_json().encode() for r in raws[:500]]
        results["limits"] = {
            "search": limits.bulk_limit(srv.settings, docs, (500, settings.batch_size)),
            "broker": limits.broker_limit(srv.settings, payloads, plan.broker_messages),
        }


def _ner(
    plan: Plan, settings: Settings, sample: list[DedupedArticle], texts: dict[str, str], progress: Progress
) -> tuple[dict[str, Any], list[EnrichedArticle]]:
    one, enriched = ner.bench_ner_one(sample, settings.batch_size)
    progress.say(f"  1 process: {one['per_s']} articles/s")
    two = ner.bench_ner_processes(sample, settings.batch_size, processes=2)
    progress.say(f"  2 processes: {two['per_s']} articles/s")
    baseline = ner.bench_baseline_ner([texts[i.article.article_id] for i in sample[: plan.baseline_ner_sample]])
    progress.say(f"  baseline full pipeline: {baseline['per_s']} articles/s")
    # NER's peak memory depends on how many texts spaCy runs through the model at once: one index batch in a
    # fresh process (VmHWM is per process), with spaCy's default nlp.pipe batch and with a small one.
    one_batch = sample[: settings.batch_size]
    default = ner.bench_ner_processes(one_batch, settings.batch_size, 1)
    small = ner.bench_ner_processes(one_batch, settings.batch_size, 1, NER_PIPE_BATCH)
    progress.say(
        f"  peak RSS for one batch: {default['peak_rss_mb_per_process'][0]} MB with spaCy's default nlp.pipe "
        f"batch, {small['peak_rss_mb_per_process'][0]} MB with {NER_PIPE_BATCH}"
    )
    result = {
        "one": one,
        "two": two,
        "baseline_full": baseline,
        "one_batch_default_pipe": default,
        "one_batch_small_pipe": small,
    }
    return result, enriched


def end_to_end(
    plan: Plan, articles: list[NewsArticle], results: dict[str, Any], progress: Progress, *, profile: bool
) -> None:
    """wiredesk (backlog, then paced), the naive baseline on the same files, optionally a profiled worker;
    each on fresh local servers."""
    n = plan.e2e_articles
    paced_n = int(plan.paced_rate * plan.paced_seconds)
    if n + paced_n + 2 > len(articles):
        raise SystemExit(f"{n} end-to-end + {paced_n} paced articles exceed the corpus ({len(articles)})")
    tmp = Path(tempfile.mkdtemp(prefix="wiredesk-bench-files-"))
    try:
        files = corpus.write_files(tmp / "main", articles[:n])
        paced = corpus.write_files(tmp / "paced", articles[n : n + paced_n], prefix="p")
        warm = corpus.write_files(tmp / "warm", articles[-2:], prefix="w")
        logs = tmp / "logs"
        logs.mkdir()
        out: dict[str, Any] = {}
        results["e2e"] = out
        title = f"end to end, wiredesk: {n} articles, then {paced_n} paced at {plan.paced_rate:.0f}/s"
        with progress.phase(title), local_servers("e2e") as srv:
            out["wiredesk"] = e2e.run_wiredesk(srv, files, warm[0], paced, plan.paced_rate, logs, progress)
        with progress.phase(f"end to end, naive baseline: the same {n} articles"), local_servers("baseline") as srv:
            out["baseline"] = e2e.run_baseline(srv, files, warm[1], logs, progress)
        if profile:
            with progress.phase("the same backlog, worker under cProfile"), local_servers("prof") as srv:
                results["worker_profile"] = worker_profile.profile_worker(srv, files, warm[0], logs, progress)
        w, b = out["wiredesk"]["saturated"], out["baseline"]
        out["ratio"] = round(w["steady_per_s"] / b["steady_per_s"], 2) if b["steady_per_s"] > 0 else None
        out["ratio_overall"] = round(w["per_s"] / b["per_s"], 2)
    finally:
        # The worker logs outlive the run (for a look after a failure); the article files do not.
        kept = Path(tempfile.gettempdir()) / "wiredesk-bench-logs"
        if (tmp / "logs").exists():
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(tmp / "logs", kept, ignore=shutil.ignore_patterns("*.prof"))
            results.setdefault("meta", {})["logs"] = str(kept)
        shutil.rmtree(tmp, ignore_errors=True)


def alerts(plan: Plan, articles: list[NewsArticle], results: dict[str, Any], progress: Progress) -> None:
    """Drop folder -> alert latency over plan.alert_articles distinct stories, on fresh local servers."""
    n = plan.alert_articles
    # One more than measured: the first is the warm-up article that shows the worker and watcher are ready.
    warmup, *stories = alert_corpus.distinct_stories(articles, n + 1)
    tmp = Path(tempfile.mkdtemp(prefix="wiredesk-bench-alerts-"))
    title = f"drop folder -> alert latency: {n} distinct stories at ~1/s"
    try:
        (tmp / "logs").mkdir()
        with progress.phase(title), local_servers("alerts") as srv:
            results["alert_latency"] = alert_latency.run_alert_latency(
                srv, stories, warmup, tmp / "work", tmp / "logs", progress
            )
    finally:
        # Next to the end-to-end logs (which replace that folder, so this phase keeps its own sub-folder).
        kept = Path(tempfile.gettempdir()) / "wiredesk-bench-logs" / "alert-latency"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(tmp / "logs", kept)
        results.setdefault("meta", {})["alert_logs"] = str(kept)
        progress.say(f"  worker and watcher logs kept at {kept}")
        shutil.rmtree(tmp, ignore_errors=True)


def feed_poller(plan: Plan, articles: list[NewsArticle], results: dict[str, Any], progress: Progress) -> None:
    """Feed poller throughput, with and without page fetching, against a local site and fresh local servers."""
    n, m = plan.feed_count, plan.feed_items
    tmp = Path(tempfile.mkdtemp(prefix="wiredesk-bench-feeds-"))
    title = f"feed poller: {n} feeds x {m} items, with and without pages"
    try:
        with progress.phase(title), local_servers("feeds") as srv:
            results["feeds"] = feeds.bench_feeds(srv, articles, n, m, tmp, progress)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def where(results: dict[str, Any]) -> dict[str, Any]:
    """Stage CPU per article measured in process, next to the worker's CPU per article end to end: the gap
    is what Faust, Kafka I/O, (de)serialisation between topics and the ledger and alerts agents cost."""
    st = results.get("stages", {})

    def cpu_ms(r: dict[str, Any] | None) -> float:
        return (r["cpu_s"] * 1000 / r["items"]) if r and r.get("items") else math.nan

    parts = {
        "clean": cpu_ms(st.get("clean")),
        "dedup (corpus-size window)": cpu_ms(st.get("dedup", {}).get("corpus")),
        "enrich: NER + entities + tags": cpu_ms(st.get("ner", {}).get("one")),
        "index: documents + bulk (client side)": cpu_ms(st.get("index")),
    }
    out: dict[str, Any] = {"stages_cpu_ms": {k: round(v, 2) for k, v in parts.items()}}
    saturated = results.get("e2e", {}).get("wiredesk", {}).get("saturated", {})
    worker = saturated.get("worker_cpu_ms_per_article")
    out["worker_cpu_ms"] = worker
    if worker and not any(math.isnan(v) for v in parts.values()):
        rest = "rest: Faust, Kafka consumer thread (polling), (de)serialisation, ledger, alerts"
        out["stages_cpu_ms"][rest] = round(worker - sum(parts.values()), 2)
    threads = saturated.get("worker_cpu_s_by_thread")
    if threads and saturated.get("articles"):
        out["worker_threads_cpu_ms"] = {k: round(v * 1000 / saturated["articles"], 1) for k, v in threads.items()}
    return out
