"""Sending a batch of files with a progress bar and a summary a person can act on."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from wiredesk.connectors.producer import ArticleProducer, Summary, expand

# Below this many files a bar flickers by faster than it can be read.
PROGRESS_FROM = 20
# Send in chunks so the bar moves while a large folder is in flight and memory holds one chunk of futures.
CHUNK = 200


def send_with_progress(producer: ArticleProducer, paths: Iterable[Path], console: Console) -> Summary:
    files = list(expand(paths))
    total = Summary()
    with Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=len(files) < PROGRESS_FROM,
        transient=True,
    ) as bar:
        task = bar.add_task("send", total=len(files))
        for start in range(0, len(files), CHUNK):
            chunk = files[start : start + CHUNK]
            part = producer.send_files(chunk)
            total.sent += part.sent
            total.dead_lettered += part.dead_lettered
            total.failed += part.failed
            bar.advance(task, len(chunk))
    # File names and reasons are user data: "[/]" or "[bold]" in one would be read as markup (and a stray closing
    # tag raises), so they are escaped.
    for path, reason in total.dead_lettered:
        console.print(f"[yellow]dead-lettered[/] {escape(str(path))}: {escape(reason)}")
    for path, error in total.failed:
        console.print(f"[red]not sent[/] {escape(str(path))}: {escape(error)}")
    console.print(f"{len(files)} files: {total.line()}")
    return total
