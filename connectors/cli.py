"""The one command line: `wiredesk up|down|status|produce|feeds|worker|workers|search|alerts|story|kibana|dlq|run`."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from wiredesk.pipeline.settings import Settings, redact_url

if TYPE_CHECKING:
    from wiredesk.pipeline.models import Correction

console = Console(stderr=True)
out = Console()


def _settings() -> Settings:
    return Settings()


class _Group(click.Group):
    """Every command: a server that cannot be reached is one line saying which and what to do, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from elastic_transport import ConnectionError as SearchUnreachable
        from kafka.errors import NoBrokersAvailable
        from pydantic import ValidationError

        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            # Named by variable, one line; without the values given (a secret may be among them).
            problems = [
                f"WIREDESK_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" if e["loc"] else e["msg"]
                for e in exc.errors(include_input=False)
            ]
            raise click.ClickException(
                "settings: " + "; ".join(p.replace("Value error, ", "") for p in problems)
            ) from exc
        except NoBrokersAvailable as exc:
            raise click.ClickException(_settings().unreachable("broker")) from exc
        except SearchUnreachable as exc:
            raise click.ClickException(_settings().unreachable("search")) from exc


@click.group(cls=_Group)
def main() -> None:
    """wiredesk: clean, deduplicate, enrich and index news wire articles streamed through Kafka."""
    from wiredesk.connectors.logs import configure_cli

    # `kill -USR1 <pid>` prints every thread's stack to stderr: how to see where a command that does not stop
    # is waiting, without stopping it.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    configure_cli(_settings())


@main.command()
def up() -> None:
    """Start the local Kafka + Elasticsearch servers (noida-db on 127.0.0.1) and create the topics."""
    from wiredesk.connectors import servers

    s = _settings()
    try:
        started = servers.up(s)
    except servers.ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(
        f"{'started' if started else 'already running'}: Kafka {escape(s.kafka_bootstrap)}, "
        f"Elasticsearch {escape(redact_url(s.search_url))}"
    )


@main.command()
def topics() -> None:
    """Create the pipeline's topics with their partition counts on the configured broker (any Kafka)."""
    from wiredesk.connectors import servers

    s = _settings()
    servers.create_topics(s)
    for name, partitions in s.all_topics.items():
        console.print(f"{escape(name)}: {partitions} partition(s)")


@main.command()
def down() -> None:
    """Stop the local servers (their data stays under the data dir)."""
    from wiredesk.connectors import servers

    s = _settings()
    servers.down(s)
    console.print("local servers stopped")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Servers, topic sizes and the outcome ledger: in = indexed + duplicates + dead-lettered + in flight.
    Exits 69 (EX_UNAVAILABLE) when the broker or the search server does not answer."""
    from wiredesk.connectors.status import EXIT_SERVER_DOWN, collect, render

    report = collect(_settings())
    if as_json:
        out.print_json(data=report)
    else:
        render(report, out)
    if not (report["servers"]["kafka"] and report["servers"]["elasticsearch"]):
        sys.exit(EXIT_SERVER_DOWN)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--watch",
    "watch_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Keep watching this drop folder and send each new file once (survives restarts).",
)
def produce(paths: tuple[Path, ...], watch_dir: Path | None) -> None:
    """Send article files (plain text, HTML or JSON) or folders of them to the raw topic."""
    from wiredesk.connectors.producer import ArticleProducer, watch
    from wiredesk.connectors.progress import send_with_progress

    s = _settings()
    if not paths and watch_dir is None:
        raise click.UsageError("give files or folders to send, or --watch DIR")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    producer = ArticleProducer(s)
    try:
        if paths:
            summary = send_with_progress(producer, paths, console)
            if summary.failed:
                sys.exit(1)
        if watch_dir is not None:
            console.print(f"watching {escape(str(watch_dir))}/ for new articles (Ctrl-C stops)")
            with contextlib.suppress(KeyboardInterrupt):
                watch(s, watch_dir, producer, report=lambda sm: console.print(f"{escape(str(watch_dir))}: {sm.line()}"))
    finally:
        producer.close()


@main.command()
def worker() -> None:
    """Run one stream-processing worker (Faust). Stop it with Ctrl-C or SIGTERM: in-flight work is finished
    or handed back, and what is done is committed."""
    from wiredesk.connectors.worker import run_worker
    from wiredesk.pipeline.alerts import AlertRulesError
    from wiredesk.pipeline.encoder import EncoderUnavailable

    try:
        run_worker(_settings())
    except AlertRulesError as exc:
        raise click.ClickException(f"alert rules: {exc}") from exc
    except EncoderUnavailable as exc:
        raise click.ClickException(f"sentence encoder: {exc}") from exc


@main.command()
@click.argument("query", nargs=-1)
@click.option("--size", default=10, show_default=True, help="How many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON lines.")
@click.option("--entity", "entities", multiple=True, help="Mentions this entity (a phrase: Blinken). Repeat: any of.")
@click.option("--source", "sources", multiple=True, help="From this outlet, exactly. Repeat: any of.")
@click.option("--tag", "tags", multiple=True, help="Has this topic tag (e.g. diplomacy). Repeat: any of.")
@click.option("--since", default=None, help="Indexed since: 30m, 24h, 7d, 2w or an ISO date (2024-01-12).")
@click.option("--story", default=None, help="Only this story id.")
@click.option("--storyline", default=None, help="Only this storyline id (a story's follow-ups, reactions, explainers).")
@click.option("--one-per-story", is_flag=True, help="One hit per story, with its number of outlets.")
def search(
    query: tuple[str, ...],
    size: int,
    as_json: bool,
    entities: tuple[str, ...],
    sources: tuple[str, ...],
    tags: tuple[str, ...],
    since: str | None,
    story: str | None,
    storyline: str | None,
    one_per_story: bool,
) -> None:
    """Full-text search over the indexed articles. Filters narrow it down; different filters must all hold."""
    from wiredesk.connectors.search import SearchFilters, parse_since, render_hits, search_articles

    try:
        since_at = parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    filters = SearchFilters(
        entities=entities, sources=sources, tags=tags, since=since_at, story=story, storyline=storyline
    )
    hits = search_articles(_settings(), " ".join(query), size=size, filters=filters, one_per_story=one_per_story)
    if as_json:
        for hit in hits:
            # Data, not markup: a title holding "[/]" would raise, "[bold]" vanish.
            out.print(json.dumps(hit, ensure_ascii=False), soft_wrap=True, markup=False, highlight=False)
    else:
        render_hits(hits, out)


@main.group()
def alerts() -> None:
    """Alert rules (alerts.yml) and the alerts they fire."""


@alerts.command("tail")
@click.option("-n", "--lines", "n", default=10, show_default=True, help="How many past alerts to show first.")
@click.option("--since", default=None, help="Only alerts fired since: 30m, 24h, 7d or an ISO date.")
@click.option("--follow/--no-follow", "-f/-F", default=True, show_default=True, help="Keep showing new alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print alerts as JSON lines.")
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The JSON-lines file (default: WIREDESK_ALERTS_JSONL_PATH or <data dir>/alerts.jsonl).",
)
def alerts_tail(n: int, since: str | None, follow: bool, as_json: bool, path: Path | None) -> None:
    """Show the latest alerts, then each new one as it fires (Ctrl-C stops)."""
    from wiredesk.connectors.alert_sinks import alert_json, alert_line, follow_alerts, jsonl_path, read_new
    from wiredesk.connectors.search import parse_since

    try:
        since_at = parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    path = path or jsonl_path(_settings())

    def show(alert: Any) -> None:
        if since_at is None or alert.fired_at >= since_at:
            out.print(
                alert_json(alert) if as_json else alert_line(alert), soft_wrap=True, markup=False, highlight=False
            )

    past, offset = read_new(path, 0)
    for alert in past[-n:] if n > 0 else []:
        show(alert)
    if not follow:
        return
    console.print(f"following {escape(str(path))} (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):
        for alert in follow_alerts(path, offset, poll_s=0.5, stop=lambda: False):
            show(alert)


@alerts.command("check")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), required=False)
def alerts_check(path: Path | None) -> None:
    """Validate the rules file (default: WIREDESK_ALERT_RULES_PATH) and list its rules."""
    from wiredesk.connectors.alerter import load_rules
    from wiredesk.pipeline.alerts import AlertRulesError

    path = path or _settings().alert_rules_path
    try:
        rules = load_rules(path)
    except AlertRulesError as exc:
        raise click.ClickException(str(exc)) from exc
    for rule in rules.rules:
        out.print(f"{rule.name}: sinks {', '.join(k.value for k in rule.sinks)}", markup=False)
    console.print(f"{escape(str(path))}: {len(rules.rules)} rule(s), valid")


@main.group()
def workers() -> None:
    """The workers of the consumer group."""


@workers.command("remove")
@click.argument("worker_ids", nargs=-1, required=True)
def workers_remove(worker_ids: tuple[str, ...]) -> None:
    """Hand a stopped worker's partitions to the others now (scaling down), instead of after its session
    expires; a running worker removed by mistake simply joins again."""
    from wiredesk.connectors.liveness import remove_members

    s = _settings()
    removed = remove_members(s, s.app_id, list(worker_ids))
    console.print(f"removed from group {escape(s.app_id)}: {escape(', '.join(removed)) or 'none'}")
    if set(removed) != set(worker_ids):
        raise SystemExit(f"not removed: {', '.join(sorted(set(worker_ids) - set(removed)))}")


@main.group()
def story() -> None:
    """Editor corrections of stories, applied by the worker that holds the dedup state. Later articles never undo
    them: a split article and its former story are not put together again, and later articles of a merged story
    join the story it was merged into. The indexed documents get the new story_id and dedup fields within
    seconds. Every correction is also appended to the labelled-pairs file (JSON lines {a, b, label: same|different,
    by, at, correction} in WIREDESK_LABELLED_PAIRS_PATH, default <data dir>/labelled_pairs.jsonl, on the worker),
    which a refit of the dedup thresholds can learn from. Only articles in the dedup window (the last 72 h of
    event time) can be corrected; the worker logs a correction it cannot apply, with the reason."""


def _send_correction(correction: Correction) -> None:
    from wiredesk.connectors.corrections import send_correction

    send_correction(_settings(), correction)
    console.print(f"sent {correction.kind.value} correction {correction.correction_id}: the worker applies it")


@story.command("merge")
@click.argument("story_a")
@click.argument("story_b")
@click.option("--by", default="editor", show_default=True, help="Who made the correction (in the labelled pairs).")
def story_merge(story_a: str, story_b: str, by: str) -> None:
    """STORY_B's articles join STORY_A (story ids as `wiredesk search --json` shows them)."""
    from wiredesk.pipeline.models import Correction, CorrectionKind

    if story_a == story_b:
        raise click.BadParameter("merging a story with itself changes nothing", param_hint="STORY_B")
    _send_correction(Correction(kind=CorrectionKind.MERGE, story_a=story_a, story_b=story_b, by=by))


@story.command("split")
@click.argument("article_id")
@click.option("--by", default="editor", show_default=True, help="Who made the correction (in the labelled pairs).")
def story_split(article_id: str, by: str) -> None:
    """ARTICLE_ID leaves its story and becomes a story of its own (its exact copies go with it)."""
    from wiredesk.pipeline.models import Correction, CorrectionKind

    _send_correction(Correction(kind=CorrectionKind.SPLIT, article_id=article_id, by=by))


@main.group()
def kibana() -> None:
    """Kibana saved objects (kibana/*.ndjson): data views, searches, dashboard."""


@kibana.command("import")
@click.option("--url", default=None, help="Kibana's base URL (default: WIREDESK_KIBANA_URL, http://127.0.0.1:5601).")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("kibana"),
    show_default=True,
    help="Folder of .ndjson saved-object files.",
)
def kibana_import(url: str | None, folder: Path) -> None:
    """Load the saved objects into Kibana, replacing earlier versions of them."""
    from wiredesk.connectors.kibana import KibanaError, import_saved_objects

    try:
        result = import_saved_objects(url or _settings().kibana_url, folder)
    except KibanaError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"imported {result.count} saved object(s) into {escape(result.url)}")


@main.group()
def dlq() -> None:
    """Inspect and replay the dead-letter queue."""


@dlq.command("list")
@click.option("--stage", default=None, help="Only letters of this stage (produce, clean, dedup, index).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per letter (without the payload).")
def dlq_list(stage: str | None, as_json: bool) -> None:
    """Every dead letter: when, where, why."""
    from rich.table import Table

    from wiredesk.connectors.dlq import read_letters

    table = Table("stage", "error", "article / file", "attempts", "last failure")
    n = 0
    for item in read_letters(_settings()):
        letter = item.letter
        if stage and letter.stage != stage:
            continue
        n += 1
        if as_json:
            out.print(letter.model_dump_json(exclude={"payload"}), soft_wrap=True, markup=False, highlight=False)
            continue
        table.add_row(
            letter.stage,
            escape(f"{letter.error_class}: {letter.message}"[:160]),
            escape(letter.origin or letter.article_id or "?"),
            str(letter.attempts),
            letter.last_failure_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    if not as_json:
        out.print(table if n else "the dead-letter queue is empty")


@dlq.command("replay")
@click.option("--stage", default=None, help="Only letters of this stage.")
@click.option("--dry-run", is_flag=True, help="Count what would be replayed, send nothing.")
def dlq_replay(stage: str | None, dry_run: bool) -> None:
    """Send dead letters back to the stage that failed them (after a fix). Safe to repeat: writes are
    idempotent, so a replayed article never becomes two documents."""
    from wiredesk.connectors.dlq import replay

    counts = replay(_settings(), stage=stage, dry_run=dry_run)
    verb = "would replay" if dry_run else "replayed"
    console.print(
        f"{verb} {counts['replayed']}; files still invalid {counts['still_invalid']}; skipped {counts['skipped']}"
    )


@main.group()
def feeds() -> None:
    """RSS and Atom feeds to poll (listed in WIREDESK_FEEDS_PATH, default feeds.yml)."""


def _load_feeds(s: Settings) -> list[Any]:
    from wiredesk.connectors.feeds import FeedsFileError, load_feeds

    try:
        return load_feeds(s.feeds_path)
    except FeedsFileError as exc:
        raise click.ClickException(str(exc)) from exc


@feeds.command("add")
@click.argument("url")
@click.option("--interval", default=300.0, show_default=True, help="Seconds between polls.")
@click.option("--source", default=None, help="The outlet's name (default: the feed's own title).")
@click.option("--no-pages", is_flag=True, help="Use the entries' own text; do not fetch the linked pages.")
def feeds_add(url: str, interval: float, source: str | None, no_pages: bool) -> None:
    """Add a feed, or change the settings of one already listed."""
    from pydantic import ValidationError

    from wiredesk.connectors.feeds import FeedConfig, save_feeds

    s = _settings()
    try:
        feed = FeedConfig(url=url, interval_s=interval, source=source, fetch_pages=not no_pages)
    except ValidationError as exc:
        raise click.ClickException("; ".join(e["msg"] for e in exc.errors())) from exc
    current = _load_feeds(s)
    verb = "changed" if any(f.url == url for f in current) else "added"
    save_feeds(s.feeds_path, [f for f in current if f.url != url] + [feed])
    console.print(f"{verb} {url} in {s.feeds_path} (every {interval:g} s)")


@feeds.command("remove")
@click.argument("url")
def feeds_remove(url: str) -> None:
    """Stop polling a feed (what it sent stays indexed; adding it again resends nothing)."""
    from wiredesk.connectors.feeds import FeedState, save_feeds, state_path

    s = _settings()
    current = _load_feeds(s)
    if not any(f.url == url for f in current):
        raise click.ClickException(f"{url} is not in {s.feeds_path}")
    save_feeds(s.feeds_path, [f for f in current if f.url != url])
    state = FeedState(state_path(s))
    state.forget_feed(url)
    state.close()
    console.print(f"removed {url} from {s.feeds_path}")


@feeds.command("list")
def feeds_list() -> None:
    """Every feed with its last poll, status, items seen, next poll and last error."""
    import time

    from rich.markup import escape
    from rich.table import Table

    from wiredesk.connectors.feeds import statuses

    s = _settings()
    listed = _load_feeds(s)
    if not listed:
        out.print(f"no feeds in {s.feeds_path} (add one with: wiredesk feeds add URL)")
        return

    def when(t: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "-"

    table = Table("url", "every", "last poll", "status", "items seen", "next poll", "last error")
    for feed, st in statuses(s, listed):
        status = f"{st.status} ({st.errors} in a row)" if st.errors else st.status or "never polled"
        table.add_row(
            escape(feed.url),
            f"{feed.interval_s:g} s",
            when(st.last_poll),
            status,
            str(st.items_seen),
            when(st.next_poll) if st.last_poll else "now",
            escape(st.last_error or ""),
        )
    out.print(table)


@feeds.command("poll")
@click.option("--once", is_flag=True, help="Poll each feed once and exit.")
def feeds_poll(once: bool) -> None:
    """Poll the feeds, each at its interval (Ctrl-C stops), and send their new entries to the raw topic."""
    import threading

    from wiredesk.connectors.feeds import FeedPoller
    from wiredesk.connectors.producer import ArticleProducer

    s = _settings()
    if not _load_feeds(s):
        raise click.ClickException(f"no feeds in {s.feeds_path} (add one with: wiredesk feeds add URL)")
    producer = ArticleProducer(s)
    poller = FeedPoller(s, producer)
    try:
        if not once:
            console.print(f"polling the feeds of {s.feeds_path} (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            poller.run(s.feeds_path, lambda r: console.print(r.line(), markup=False), threading.Event(), once=once)
    finally:
        poller.close()
        producer.close()


@main.command()
@click.option("--once", is_flag=True, help="Ingest the seeds, show the result and exit (no watching).")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True)
@click.option("--inbox", "inbox_dir", type=click.Path(path_type=Path), default=Path("inbox"), show_default=True)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the seeds to be processed.")
def run(once: bool, seeds_dir: Path, inbox_dir: Path, timeout: float) -> None:
    """Everything on the local servers: start them and a worker, ingest the seeds, show what was indexed,
    then keep watching the inbox folder."""
    from wiredesk.connectors.runner import run_local

    sys.exit(
        run_local(
            _settings(),
            seeds_dir=seeds_dir,
            inbox_dir=inbox_dir,
            once=once,
            timeout_s=timeout,
            console=console,
            out=out,
        )
    )


if __name__ == "__main__":
    main()
