"""Start one Faust worker for the pipeline."""

from __future__ import annotations

import logging
import time

import faust
from elastic_transport import TransportError

from connectors.elastic import setup_indices, sync_client
from connectors.liveness import start_beating
from pipeline.settings import Settings

log = logging.getLogger(__name__)


def prepare_search(settings: Settings, timeout_s: float = 120.0) -> None:
    """Index template and indices before the first document; wait for a search server that is starting."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            setup_indices(sync_client(settings), settings)
            return
        except TransportError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"search server {settings.search_url} not reachable: {exc}") from exc
            time.sleep(1.0)


def run_worker(settings: Settings, loglevel: str = "info") -> None:
    from pipeline.app import Wiring

    wiring = Wiring(settings)
    wiring.warm_up()  # first: a missing model stops the worker before it touches any server
    prepare_search(settings)
    if settings.expire_dead_workers:
        start_beating(settings)
    worker = faust.Worker(wiring.app, loglevel=loglevel, quiet=True)
    # The search client logs every request at INFO (a bulk per batch, a beat every 3 s): failures still show
    # as warnings, and the worker logs its own line per batch.
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
    worker.execute_from_commandline()
