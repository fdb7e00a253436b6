"""The command line against the local servers: what a person types, what they get back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from tests.conftest import SEEDS, WorkerProcess, settings_env
from wiredesk.connectors.cli import main
from wiredesk.connectors.files import read_articles
from wiredesk.connectors.producer import send_paths
from wiredesk.connectors.runner import wait_for_outcomes
from wiredesk.pipeline.models import RawArticle, utcnow
from wiredesk.pipeline.settings import Settings

pytestmark = pytest.mark.integration


def wiredesk(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env=settings_env(settings), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def send_paths_ids(settings: Settings) -> list[RawArticle]:
    """The seeds as the producer reads them (their ids are deterministic)."""
    return [
        a
        for path in sorted(SEEDS.glob("*.txt"))
        for a in read_articles(path, max_bytes=settings.max_file_bytes, root=SEEDS)
        if isinstance(a, RawArticle)
    ]


def test_produce_status_search_and_dlq(backend: Settings, worker: WorkerProcess, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"body": ')
    first_at = utcnow()
    wiredesk(backend, "produce", str(SEEDS), str(broken))
    # The seeds go in twice (above and here, same ids, same partitions, in order): wait for the first copies'
    # outcomes before sending the second, then for the second copies', or a late outcome of either could land
    # during the check below.
    ids = [a.article_id for a in send_paths_ids(backend)]
    wait_for_outcomes(backend, ids, worker.proc, 120, Console(quiet=True), since=first_at)
    sent_at = utcnow()
    assert send_paths(backend, [SEEDS]).sent == ids
    wait_for_outcomes(backend, ids, worker.proc, 120, Console(quiet=True), since=sent_at)

    # Outcomes of an earlier run do not answer for articles sent again later (`wiredesk run` re-sends the seeds).
    with pytest.raises(TimeoutError):
        wait_for_outcomes(backend, ids, worker.proc, 1.0, Console(quiet=True), since=utcnow())

    status = json.loads(wiredesk(backend, "status", "--json"))
    assert status["servers"]["kafka"] and status["servers"]["elasticsearch"]
    assert status["outcomes"]["indexed"] >= 2
    # The running worker beats every few seconds (connectors/liveness.py); its first beat may be on its way.
    deadline = time.monotonic() + backend.session_timeout_s
    while backend.worker_id not in status["workers"] and time.monotonic() < deadline:
        time.sleep(1)
        status = json.loads(wiredesk(backend, "status", "--json"))
    assert status["workers"][backend.worker_id] < backend.session_timeout_s
    assert f"{backend.worker_id} (last beat" in wiredesk(backend, "status")

    hits = [json.loads(line) for line in wiredesk(backend, "search", "Blinken", "--json").splitlines() if line]
    assert {h["article_id"] for h in hits} >= set(ids)

    letters = [json.loads(line) for line in wiredesk(backend, "dlq", "list", "--json").splitlines() if line]
    assert any(x["origin"] == str(broken) and "malformed JSON" in x["message"] for x in letters)
    assert "would replay" in wiredesk(backend, "dlq", "replay", "--stage", "produce", "--dry-run")


def test_missing_path_is_a_clear_error(backend: Settings) -> None:
    result = CliRunner().invoke(main, ["produce", "/no/such/folder"], env=settings_env(backend))
    assert result.exit_code != 0
    assert "no such file or folder: /no/such/folder" in result.output


def test_workers_remove_hands_back_a_gone_workers_partitions(backend: Settings) -> None:
    # A worker id the group does not know (already expired, or never there) counts as removed: the outcome the
    # operator wants, its partitions are with the live workers.
    assert "removed from group wiredesk: ghost-worker" in wiredesk(backend, "workers", "remove", "ghost-worker")
