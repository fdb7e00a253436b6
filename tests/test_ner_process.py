"""NER in a child process (connectors/ner_process.py): same entities as in process, a dead child is replaced, and
the child does not outlive a worker killed with -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.factories import cleaned, deduped
from wiredesk.connectors.ner_process import NerProcess
from wiredesk.pipeline.enrich import enrich
from wiredesk.pipeline.models import DedupedArticle

TEXT = "Antony Blinken met Liu Jianchao in Washington on Tuesday, the State Department said."


@pytest.fixture(scope="module")
def ner() -> Iterator[NerProcess]:
    proc = NerProcess()
    proc.start()
    yield proc
    proc.close()


def _items() -> list[DedupedArticle]:
    texts = {"a1": TEXT, "a2": "Xi Jinping spoke in Beijing about Taiwan."}
    return [DedupedArticle(article=cleaned(a, body), dedup=deduped(a).dedup) for a, body in texts.items()]


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_the_child_finds_what_enrich_finds_in_process(ner: NerProcess) -> None:
    got = asyncio.run(ner.enrich(_items(), {}))
    assert [a.entities for a in got] == [a.entities for a in enrich(_items())]
    assert {e.name for e in got[0].entities} >= {"Antony Blinken", "Liu Jianchao", "Washington"}


def test_a_dead_child_is_replaced_and_the_batch_retried(ner: NerProcess) -> None:
    old = ner.pid
    assert old is not None and old != os.getpid()
    os.kill(old, signal.SIGKILL)
    assert _gone(old, 5.0)
    got = asyncio.run(ner.enrich(_items(), {}))
    assert ner.pid not in (None, old)
    assert {e.name for e in got[0].entities} >= {"Antony Blinken", "Washington"}


def test_the_child_is_replaced_after_max_batches_and_still_finds_entities() -> None:
    ner = NerProcess(max_batches=2)  # the model load and one batch
    ner.start()
    try:
        first = ner.pid
        asyncio.run(ner.enrich(_items(), {}))
        assert ner.pid == first
        got = asyncio.run(ner.enrich(_items(), {}))
        assert ner.pid not in (None, first)
        assert {e.name for e in got[0].entities} >= {"Antony Blinken", "Washington"}
    finally:
        ner.close()


def test_the_child_dies_with_a_worker_killed_with_minus_9() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from connectors.ner_process import NerProcess; import time; n = NerProcess(); n.start();"
            " print(n.pid, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        assert _gone(child, 5.0), "the NER child outlived its parent"
    finally:
        parent.kill()
        parent.wait()
