"""The one command line: `wiredesk up|down|status|produce|worker|search|run`."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click
from rich.console import Console

from pipeline.settings import Settings

console = Console(stderr=True)
out = Console()


def _settings() -> Settings:
    return Settings()


@click.group()
def main() -> None:
    """wiredesk: clean, deduplicate, enrich and index news wire articles streamed through Kafka."""


@main.command()
def up() -> None:
    """Start the local Kafka + Elasticsearch servers (noida-db on 127.0.0.1) and create the topics."""
    from connectors import servers

    s = _settings()
    try:
        started = servers.up(s)
    except servers.ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(
        f"{'started' if started else 'already running'}: Kafka {s.kafka_bootstrap}, Elasticsearch {s.search_url}"
    )


@main.command()
def topics() -> None:
    """Create the pipeline's topics with their partition counts on the configured broker (any Kafka)."""
    from connectors import servers

    s = _settings()
    servers.create_topics(s)
    for name, partitions in s.all_topics.items():
        console.print(f"{name}: {partitions} partition(s)")


@main.command()
def down() -> None:
    """Stop the local servers (their data stays under the data dir)."""
    from connectors import servers

    s = _settings()
    servers.down(s)
    console.print("local servers stopped")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Servers, topic sizes and the outcome ledger: in = indexed + duplicates + dead-lettered + in flight."""
    from connectors.status import collect

    report = collect(_settings())
    if as_json:
        out.print_json(data=report)
        return
    from connectors.status import render

    render(report, out)


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
    from connectors.producer import ArticleProducer, watch
    from connectors.progress import send_with_progress

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
            console.print(f"watching {watch_dir}/ for new articles (Ctrl-C stops)")
            with contextlib.suppress(KeyboardInterrupt):
                watch(s, watch_dir, producer, report=lambda sm: console.print(f"{watch_dir}: {sm.line()}"))
    finally:
        producer.close()


@main.command()
def worker() -> None:
    """Run one stream-processing worker (Faust). Stop it with Ctrl-C or SIGTERM: in-flight work is finished
    or handed back, and what is done is committed."""
    from connectors.worker import run_worker

    run_worker(_settings())


@main.command()
@click.argument("query", nargs=-1)
@click.option("--size", default=10, show_default=True, help="How many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON lines.")
def search(query: tuple[str, ...], size: int, as_json: bool) -> None:
    """Full-text search over the indexed articles."""
    from connectors.search import render_hits, search_articles

    hits = search_articles(_settings(), " ".join(query), size=size)
    if as_json:
        for hit in hits:
            out.print(json.dumps(hit, ensure_ascii=False), soft_wrap=True)
    else:
        render_hits(hits, out)


@main.group()
def dlq() -> None:
    """Inspect and replay the dead-letter queue."""


@dlq.command("list")
@click.option("--stage", default=None, help="Only letters of this stage (produce, clean, dedup, index).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per letter (without the payload).")
def dlq_list(stage: str | None, as_json: bool) -> None:
    """Every dead letter: when, where, why."""
    from rich.markup import escape
    from rich.table import Table

    from connectors.dlq import read_letters

    table = Table("stage", "error", "article / file", "attempts", "last failure")
    n = 0
    for item in read_letters(_settings()):
        letter = item.letter
        if stage and letter.stage != stage:
            continue
        n += 1
        if as_json:
            out.print(letter.model_dump_json(exclude={"payload"}), soft_wrap=True)
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
    from connectors.dlq import replay

    counts = replay(_settings(), stage=stage, dry_run=dry_run)
    verb = "would replay" if dry_run else "replayed"
    console.print(
        f"{verb} {counts['replayed']}; files still invalid {counts['still_invalid']}; skipped {counts['skipped']}"
    )


@main.command()
@click.option("--once", is_flag=True, help="Ingest the seeds, show the result and exit (no watching).")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True)
@click.option("--inbox", "inbox_dir", type=click.Path(path_type=Path), default=Path("inbox"), show_default=True)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the seeds to be processed.")
def run(once: bool, seeds_dir: Path, inbox_dir: Path, timeout: float) -> None:
    """Everything on the local servers: start them and a worker, ingest the seeds, show what was indexed,
    then keep watching the inbox folder."""
    from connectors.runner import run_local

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
