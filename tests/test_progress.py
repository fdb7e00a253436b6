"""File names and reasons are printed as text, never read as rich markup."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from tests.conftest import settings_env
from wiredesk.connectors.cli import main
from wiredesk.connectors.producer import Summary
from wiredesk.connectors.progress import PROGRESS_FROM, send_with_progress
from wiredesk.pipeline.settings import Settings

# A stray closing tag raises MarkupError when printed as markup; [bold] would vanish into a style. "a[/]b.txt" is
# the file "]b.txt" in the folder "a[" (a name cannot hold "/"), as found when a folder is sent.
NAMES = ("a[/]b.txt", "[bold]c.txt")


class StubProducer:
    """Dead-letters one file and fails another, with reasons that hold markup too."""

    def send_files(self, files: Sequence[tuple[Path, Path | None]]) -> Summary:
        summary = Summary()
        for path, _ in files:
            if str(path).endswith(NAMES[0]):
                summary.dead_lettered.append((str(path), "empty file [/]"))
            elif str(path).endswith(NAMES[1]):
                summary.failed.append((str(path), "broker said [red]no"))
            else:
                summary.sent.append(path.name)
        return summary


@pytest.mark.parametrize("many", [False, True], ids=["no bar", "with the progress bar"])
def test_names_with_markup_are_printed_verbatim(tmp_path: Path, many: bool) -> None:
    paths = [tmp_path / n for n in NAMES] + [tmp_path / f"z{i:03}.txt" for i in range(PROGRESS_FROM if many else 0)]
    for path in paths:
        path.parent.mkdir(exist_ok=True)
        path.write_text("text")
    console = Console(record=True, width=300)
    summary = send_with_progress(StubProducer(), [tmp_path], console)  # type: ignore[arg-type]
    assert len(summary.dead_lettered) == len(summary.failed) == 1
    text = console.export_text()
    assert f"dead-lettered {tmp_path / 'a[/]b.txt'}: empty file [/]" in text
    assert f"not sent {tmp_path / '[bold]c.txt'}: broker said [red]no" in text


@pytest.mark.integration
def test_produce_and_dlq_print_a_dead_lettered_name_with_markup(backend: Settings, tmp_path: Path) -> None:
    (tmp_path / "a[").mkdir()
    (tmp_path / "a[/]b.txt").write_text("")  # empty: the producer dead-letters it, naming the file
    result = CliRunner().invoke(main, ["produce", str(tmp_path)], env=settings_env(backend))
    assert result.exit_code == 0, result.output
    # Rich wraps long lines at the terminal width: compare words.
    assert f"dead-lettered {tmp_path / 'a[/]b.txt'}: empty file" in " ".join(result.output.split())

    # The dead-letter queue shows it too, as a table and as JSON lines.
    name = str(tmp_path / "a[/]b.txt")
    listed = CliRunner().invoke(main, ["dlq", "list", "--json"], env=settings_env(backend))
    assert listed.exit_code == 0, listed.output
    assert any(json.loads(line)["origin"] == name for line in listed.stdout.splitlines())
    # As a table: the name is a cell (rich may cut it short to the terminal's width, so the check is that the
    # command does not stop on the name's "[/]" with a MarkupError, which it did when names were read as markup).
    table = CliRunner().invoke(main, ["dlq", "list", "--stage", "produce"], env=settings_env(backend))
    assert table.exit_code == 0 and "empty file" in table.output, table.output
