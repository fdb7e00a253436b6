"""Start one Faust worker for the pipeline."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Literal

import faust
from elastic_transport import TransportError
from elasticsearch import Elasticsearch

from wiredesk.connectors.elastic import setup_indices, sync_client
from wiredesk.connectors.liveness import start_beating
from wiredesk.connectors.logs import worker_logging_config
from wiredesk.connectors.metrics import serve
from wiredesk.connectors.retry import policy
from wiredesk.connectors.security import search_kwargs
from wiredesk.connectors.servers import connect_any
from wiredesk.pipeline.settings import Settings, redact_url

log = logging.getLogger(__name__)

# The exit status of a stop that timed out: EX_TEMPFAIL (sysexits.h), a temporary failure worth a restart.
EXIT_STOP_TIMEOUT = 75
# /ready asks the search server: a server that is up answers a ping in milliseconds; 2 s tolerates a loaded one
# and keeps a probe (Kubernetes' default timeout is 1 s, Docker's 30 s) from piling up requests.
READY_PROBE_TIMEOUT_S = 2.0


class Worker(faust.Worker):
    """Faust's worker with a stop bounded in time. A stop waits for the messages in flight to be acknowledged
    and committed; while the broker is down that never happens (their results cannot be produced), and Faust
    would wait until the broker is back. Past `stop_timeout_s` this worker gives up and exits: nothing is lost,
    because what was not committed is read again on restart and every write is idempotent."""

    def __init__(self, app: faust.App, *, stop_timeout_s: float, **kwargs: object) -> None:
        super().__init__(app, **kwargs)  # type: ignore[arg-type]
        self.stop_timeout_s = stop_timeout_s
        self.ready = False  # Faust has said "Ready": tables recovered, agents consuming

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        self.ready = True

    def _schedule_shutdown(self, sig: signal.Signals) -> None:
        if not self._signal_stop_time:
            # A thread, not a loop callback: the event loop may be the thing that is stuck.
            timer = threading.Timer(self.stop_timeout_s, self._give_up, args=(sig,))
            timer.daemon = True
            timer.start()
        super()._schedule_shutdown(sig)

    def _give_up(self, sig: signal.Signals) -> None:
        log.error(
            "%s: the worker did not stop within %.0f s (is the broker or the search server down?); exiting "
            "without committing: what was not committed is processed again on restart",
            sig.name,
            self.stop_timeout_s,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_STOP_TIMEOUT)


def prepare_search(settings: Settings) -> None:
    """Index template and indices before the first document; wait for a search server that is starting."""
    _wait_until_up(settings, "search", lambda: setup_indices(sync_client(settings), settings), TransportError)


def wait_for_broker(settings: Settings) -> None:
    """Wait for a broker that is starting. Faust, started without one, exits at once with a traceback."""
    _wait_until_up(settings, "broker", lambda: connect_any(settings.kafka_bootstrap), OSError)


def _wait_until_up(
    settings: Settings, server: Literal["broker", "search"], attempt: Callable[[], None], fails: type[Exception]
) -> None:
    """Repeat `attempt` until it stops raising `fails`; past `server_wait_s`, exit naming the server."""
    # Waits of at most a second: a server that is starting is used within a second of being up.
    retry = policy(f"wait for the {server}", on=fails, base_s=0.1, cap_s=1.0, deadline_s=settings.server_wait_s)
    try:
        retry(attempt)
    except fails as exc:
        raise SystemExit(settings.unreachable(server, str(exc))) from exc


def run_worker(settings: Settings) -> None:
    from wiredesk.connectors.app import Wiring

    wiring = Wiring(settings)
    worker: Worker | None = None
    search = Elasticsearch(**{**search_kwargs(settings), "request_timeout": READY_PROBE_TIMEOUT_S})

    def not_ready() -> list[str]:
        reasons = []
        if worker is None or not worker.ready:
            reasons.append("the Faust worker is not ready yet (starting, joining its group or recovering tables)")
        if not wiring.ner.alive:
            reasons.append("the NER process is not running")
        if not search.ping():
            reasons.append(f"search server {redact_url(settings.search_url)} does not answer")
        return reasons

    # Before anything slow, so /health answers (and /ready says why not) while the models load.
    server = serve(settings, wiring.metrics, not_ready)
    try:
        wiring.warm_up()  # first: a missing model stops the worker before it touches any server
        wait_for_broker(settings)
        prepare_search(settings)
        if settings.expire_dead_workers:
            start_beating(settings)
        worker = Worker(
            wiring.app,
            stop_timeout_s=settings.stop_timeout_s,
            loglevel=settings.log_level.lower(),
            logging_config=worker_logging_config(settings),
            quiet=True,
        )
        # The search client logs every request at INFO (a bulk per batch, a beat every 3 s): failures still show
        # as warnings, and the worker logs its own line per batch.
        logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
        worker.execute_from_commandline()
    finally:
        server.shutdown()
        wiring.close()
