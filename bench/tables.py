"""The printed tables: one per section of the results."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _table(title: str, *columns: str) -> Table:
    t = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i == 0 or col == "note" else "right")
    return t


def stages(results: dict[str, Any]) -> Table:
    st = results.get("stages", {})
    t = _table("Stages, in process (one core unless noted)", "stage", "articles", "/s", "ms/article", "/CPU-s", "note")

    def row(name: str, r: dict[str, Any] | None, note: str = "") -> None:
        if r:
            cells = (_f(r.get("items"), 0), _f(r.get("per_s")), _f(r.get("ms_per_item"), 2), _f(r.get("per_cpu_s")))
            t.add_row(name, *cells, note)

    clean = st.get("clean")
    row("clean", clean, f"p95 {_f(_get(clean, 'per_article', 'p95_ms'), 2)} ms; {_get(clean, 'refused')} refused")
    dd = st.get("dedup")
    if dd:
        levels = ", ".join(f"{k} {v}" for k, v in sorted(dd.get("levels_corpus", {}).items()))
        row("dedup: corpus stream", dd.get("corpus"), levels)
        first, last = dd["growth"][0], dd["growth"][-1]
        growth = f"{_f(first['ms_per_article'], 2)}→{_f(last['ms_per_article'], 2)} ms as the window grows"
        row("dedup: scaled stream", dd.get("scaled"), f"{growth} to {last['window']:,}")
    for w in st.get("dedup_windows", []):
        note = f"p95 {_f(_get(w, 'per_article', 'p95_ms'), 2)} ms; rebuild {w['rebuild_s']} s; "
        note += f"RSS: store {w['store_rss_mb']} MB + index {w['index_rss_mb']} MB"
        row(f"dedup: {w['window'] // 1000}k window", w, note)
    ner = st.get("ner", {})
    one, two = ner.get("one"), ner.get("two")
    row("NER (enrich), 1 process", one, f"{_f(_get(one, 'chars_per_s'), 0)} chars/s")
    if one and two:
        rss = ", ".join(_f(x, 0) for x in two.get("peak_rss_mb_per_process", []))
        note = f"×{two['per_s'] / one['per_s']:.2f} vs 1 (had {two['cores_used']} cores); RSS {rss} MB"
        row(f"NER, {two['processes']} processes", two, note)
    for key in ("one_batch_default_pipe", "one_batch_small_pipe"):
        r = ner.get(key)
        if r:
            note = f"peak RSS {_f(r['peak_rss_mb_per_process'][0], 0)} MB (fresh process)"
            row(f"NER, one batch, nlp.pipe batch {r['nlp_pipe_batch']}", r, note)
    row("NER, naive: full pipeline nlp(text)", ner.get("baseline_full"), "same articles")
    idx = st.get("index")
    row("index stage (bulk)", idx, f"batch {_get(idx, 'batch_size')}; to_document {_get(idx, 'to_document_ms')} ms")
    return t


def limits(results: dict[str, Any]) -> Table | None:
    lim = results.get("limits")
    if not lim:
        return None
    t = _table("Limits of this machine's servers (no pipeline)", "what", "rate")
    b = lim.get("broker", {})
    t.add_row(f"broker produce, acks=all ({_f(b.get('avg_message_kb'))} KB)", f"{_f(b.get('produce_per_s'), 0)} msg/s")
    t.add_row("broker consume, empty processing", f"{_f(b.get('consume_per_s'), 0)} msg/s")
    for key, value in lim.get("search", {}).items():
        if key.startswith("chunk_"):
            t.add_row(f"search helpers.bulk, {key.split('_')[1]} docs/request", f"{_f(value, 0)} docs/s")
    return t


def end_to_end(results: dict[str, Any]) -> Table | None:
    e2e = results.get("e2e")
    if not e2e:
        return None
    cols = ("run", "articles", "/s", "steady/s", "p50 ms", "p95 ms", "p99 ms", "worker MB", "servers MB", "cores w/s")
    t = _table("End to end: files → broker → worker process → indexed / searchable", *cols)

    def cores(r: dict[str, Any]) -> str:
        c = r.get("cores_used", {})
        return f"{_f(c.get('worker'), 2)}/{_f(c.get('servers'), 2)}"

    runs = (
        ("wiredesk, backlog: produce→indexed", _get(e2e, "wiredesk", "saturated")),
        ("naive baseline, backlog: produce→indexed", e2e.get("baseline")),
    )
    for name, r in runs:
        if r:
            lat = r["produce_to_indexed_under_backlog"]
            rss = (_f(r["worker_peak_rss_mb"], 0), _f(r["servers_peak_rss_mb"], 0))
            rates = (_f(r["articles"], 0), _f(r["per_s"]), _f(r["steady_per_s"]))
            t.add_row(name, *rates, _f(lat["p50_ms"], 0), _f(lat["p95_ms"], 0), _f(lat["p99_ms"], 0), *rss, cores(r))
    paced = _get(e2e, "wiredesk", "paced")
    if paced:
        lat = paced["produce_to_searchable"]
        # "≥": some articles were still not searchable when the bench stopped waiting.
        bound = "≥" if paced.get("lower_bound") else ""
        t.add_row(
            f"wiredesk, paced {paced['rate_per_s']:.0f}/s: produce→searchable",
            _f(paced["searchable"], 0),
            _f(paced["rate_per_s"]),
            "",
            bound + _f(lat["p50_ms"], 0),
            bound + _f(lat["p95_ms"], 0),
            bound + _f(lat["p99_ms"], 0),
            _f(paced.get("worker_peak_rss_mb"), 0),
            _f(paced.get("servers_peak_rss_mb"), 0),
            cores(paced),
        )
    return t


def alert_latency(results: dict[str, Any]) -> Table | None:
    r = results.get("alert_latency")
    if not r:
        return None
    cols = ("measure", "n", "p50 ms", "p95 ms", "p99 ms", "max ms")
    t = _table(f"Drop folder → alert: {r['articles']} distinct stories at {_f(r['rate_per_s'], 2)}/s", *cols)
    for name, key in (
        ("landed → alert fired (fired_at)", "land_to_fired"),
        ("landed → in the alerts file", "land_to_in_file"),
    ):
        lat = r[key]
        t.add_row(name, _f(lat["n"], 0), *(_f(lat[k], 0) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")))
    t.add_section()
    for name, p in r["parts_ms"].items():
        t.add_row(f"  {name}", "", _f(p["p50"], 0), _f(p["p95"], 0), "", "")
    return t


def feed_poller(results: dict[str, Any]) -> Table | None:
    r = results.get("feeds")
    if not r:
        return None
    t = _table(
        f"Feed poller: {r['feeds']} feeds x {r['items_per_feed']} items, first poll (all new), "
        f"{r.get('page_workers')} page threads, local site and broker",
        *("mode", "items", "/s", "CPU ms/item", "fallbacks", "second poll (304) ms"),
    )
    modes = (
        ("pages fetched + extracted", "with_pages"),
        ("the same, pages 100 ms away", "with_pages_100ms"),
        ("entries' own text", "without_pages"),
    )
    for name, key in modes:
        m = r.get(key)
        if not m:
            continue
        t.add_row(
            name,
            _f(m["items"], 0),
            _f(m["per_s"]),
            _f(m["cpu_ms_per_item"]),
            _f(m["fallbacks"], 0),
            _f(m["second_poll_ms"]) + ("" if m["second_poll_all_304"] else " (not all 304)"),
        )
    return t


def alert_checks(r: dict[str, Any]) -> str:
    """One line under the alert-latency table: every article fired once, nothing more, nothing stuck."""
    bad = r["duplicate_alert_lines"] + len(r["files_with_several_alerts"]) + len(r["alerts_for_unknown_files"])
    idx = r["alerts_index"]
    # fired + 1: the warm-up article's alert is in the index too; a pending record at the end is a stuck alert.
    index_ok = idx["delivered"] == r["fired"] + 1 and not idx["pending"]

    def c(text: str, ok: bool) -> str:
        return f"[{'green' if ok else 'red'}]{text}[/]"

    missing = c(f"{r['missing']} missing", not r["missing"])
    extra = c(f"{bad} duplicate or unexpected", not bad)
    index = c(f"{idx['delivered']} delivered, {idx['pending']} pending", index_ok)
    return (
        f"alerts: {r['fired']} fired, {missing} (no alert within {r['timeout_s']:.0f} s of landing), {extra}; "
        f"alerts index: {index} (expected {r['fired'] + 1} delivered: the warm-up too)"
    )


def where(results: dict[str, Any]) -> Table | None:
    w = results.get("where_time_goes")
    if not w:
        return None
    t = _table("Where the worker's CPU goes (ms per article)", "part", "CPU ms/article", "share")
    total = w.get("worker_cpu_ms")
    for name, ms in w["stages_cpu_ms"].items():
        if not math.isnan(ms):  # stages not measured in this run (--e2e-only)
            t.add_row(name, _f(ms, 1), f"{ms / total * 100:.0f}%" if total else "")
    if total:
        t.add_row("[bold]worker process end to end (/proc)[/]", _f(total, 1), "100%")
        t.add_section()
        labels = {
            "child processes (NER)": "of which the NER process (connectors/ner_process.py)",
            "main": "of which main thread (event loop: Faust, dedup, Kafka I/O)",
            "other threads": "of which other threads (clean + head vector, Kafka consumer)",
        }
        for name, ms in w.get("worker_threads_cpu_ms", {}).items():
            label = labels.get(name, f"  {name}" if name.startswith("thread") else f"of which {name}")
            t.add_row(label, _f(ms, 1), f"{ms / total * 100:.0f}%")
    return t


def profile(
    results: dict[str, Any], key: str = "profile", title: str = "cProfile of the worker's pure path"
) -> Table | None:
    prof = results.get(key)
    if not prof:
        return None
    n = prof["articles"]
    t = _table(f"{title} ({n} articles)", "part / function", "ms/article", "share")
    for name, v in prof["by_part"].items():
        t.add_row(name, _f(v["ms_per_article"], 2), f"{v['share'] * 100:.1f}%")
    t.add_section()
    for fn in prof["top_functions"][:10]:
        t.add_row(fn["function"][-70:], _f(fn["tottime_s"] * 1000 / n, 2), f"{fn['share'] * 100:.1f}%")
    return t


def targets(results: dict[str, Any]) -> Table:
    t = _table("Targets (reported, not tuned for)", "target", "measured", "verdict")
    for r in results.get("targets", []):
        colour = {"met": "green", "MISSED": "red"}.get(r["verdict"], "yellow")
        measured = ("≥" if r.get("lower_bound") else "") + f"{_f(r['measured'])} {r['unit']}"
        t.add_row(r["target"], measured, f"[{colour}]{r['verdict']}[/]")
    return t


def print_all(results: dict[str, Any], console: Console) -> None:
    wp = results.get("worker_profile") or {}
    worker = [
        profile(wp, "main_thread", "Worker under cProfile, main thread (event loop), CPU"),
        profile(wp, "other_threads", "Worker under cProfile, other threads (clean + head vector, Kafka consumer), CPU"),
    ]
    tables = (
        stages(results),
        limits(results),
        end_to_end(results),
        alert_latency(results),
        feed_poller(results),
        where(results),
    )
    for table in (*tables, profile(results), *worker):
        if table is not None and table.row_count:  # a phase not run in this invocation (--only, --e2e-only)
            console.print(table)
    if wp.get("cpu_ms_per_article_by_thread"):
        by_thread = ", ".join(f"{k} {v}" for k, v in wp["cpu_ms_per_article_by_thread"].items())
        console.print(f"profiled worker, CPU ms per article by thread: {by_thread}")
    e2e = results.get("e2e", {})
    idle = _get(e2e, "wiredesk", "saturated", "idle_cores")
    if idle:
        console.print(
            f"idle (nothing to process, {idle.get('worker')} cores worker, {idle.get('servers')} cores servers): "
            "the cost of polling alone"
        )
    if e2e.get("ratio") is not None:
        console.print(
            f"wiredesk / naive baseline, end-to-end throughput: ×{e2e['ratio']:.2f} steady, "
            f"×{e2e.get('ratio_overall', math.nan):.2f} overall"
        )
    alerts = results.get("alert_latency")
    if alerts:
        console.print(alert_checks(alerts))
    for name, fate in (alerts or {}).get("missing_files", {}).items():
        console.print(f"[red]no alert for {name}[/]: {fate}")
    console.print(targets(results))
    meta = results["meta"]
    console.print(
        f"machine: {meta['machine']['cores']} cores, {meta['machine']['cpu']}, commit {meta['machine']['commit']}; "
        f"load average at start {meta['load_start']}, at end {meta.get('load_end')}; bench took {meta['total_s']} s"
    )
    if meta.get("busy_warning"):
        console.print(f"[yellow]{meta['busy_warning']}[/]")
