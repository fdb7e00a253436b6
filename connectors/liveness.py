"""Dead-worker expiry. Kafka removes a consumer that stopped heart-beating once its session times out, and
the group's other workers take over its partitions. The local server never does: a static member that
vanished (kill -9, lost machine) keeps its partitions for ever, and they stand still.

So the workers do it for the broker. Each worker records a beat in the `wiredesk-workers` index every few
seconds; a worker that sees a peer's beat unchanged for longer than the session timeout removes that peer
from the consumer group with the admin call Kafka itself offers for this (KIP-345 LeaveGroup on behalf of a
static member), which starts the same rebalance a session expiry would. On a real Kafka cluster the broker
has usually expired the member already and the call finds nobody to remove.

Peers are judged by whether their beat *changed*, on this worker's own clock: no clock agreement between
machines is needed. When this worker cannot record its own beat (search server down), it forgets what it
saw and starts counting again once it can, so an outage never makes live peers look dead."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.protocol.group import LeaveGroupRequest

from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.security import kafka_kwargs
from wiredesk.pipeline.models import utcnow
from wiredesk.pipeline.settings import Settings

log = logging.getLogger(__name__)

# Kafka's error code for "no such member": the broker expired it already, or another worker removed it.
_UNKNOWN_MEMBER_ID = 25


def remove_members(settings: Settings, group: str, worker_ids: list[str]) -> list[str]:
    """Remove static members from a consumer group; returns those the broker removed or no longer had."""
    admin = KafkaAdminClient(
        **kafka_kwargs(settings),
        client_id=f"{settings.worker_id}-expiry",
        request_timeout_ms=int(settings.request_timeout_s * 1000),
    )
    try:
        # kafka-python has no public call for KIP-345 removal; these two are its own request plumbing.
        coordinator = admin._find_coordinator_ids([group])[group]
        request = LeaveGroupRequest[3](group=group, members=[("", w) for w in worker_ids])
        response = admin.send_request(request, node_id=coordinator)
    finally:
        admin.close()
    if response.error_code == _UNKNOWN_MEMBER_ID:
        # Said for the whole request by some brokers (the local server) when none of the members is there.
        return list(worker_ids)
    if response.error_code:
        raise RuntimeError(f"removing {worker_ids} from {group}: Kafka error {response.error_code}")
    by_id = {instance: code for _member, instance, code in response.members}
    # Some brokers echo the member id but not the instance id: one member per request makes that unambiguous.
    if len(worker_ids) == 1 and len(response.members) == 1:
        by_id = {worker_ids[0]: response.members[0][2]}
    return [w for w in worker_ids if by_id.get(w, 0) in (0, _UNKNOWN_MEMBER_ID)]


def read_beats(es: Elasticsearch, settings: Settings) -> dict[str, str]:
    """worker id -> its last beat (ISO time) for the workers of this group."""
    found = es.search(index=settings.workers_index, query={"term": {"group": settings.app_id}}, size=1000)
    return {h["_source"]["worker_id"]: h["_source"]["beat_at"] for h in found["hits"]["hits"]}


class Liveness:
    def __init__(self, settings: Settings, es: Elasticsearch) -> None:
        self.settings = settings
        self.es = es
        # peer -> (its last beat, when this worker saw that beat first, monotonic)
        self._seen: dict[str, tuple[str, float]] = {}

    def beat(self) -> list[str]:
        """Record this worker's beat, look at the peers'; returns the peers removed from the group now."""
        s = self.settings
        try:
            self.es.index(
                index=s.workers_index,
                id=s.worker_id,
                document={
                    "worker_id": s.worker_id,
                    "group": s.app_id,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "beat_at": utcnow().isoformat(),
                },
            )
            beats = read_beats(self.es, s)
        except Exception as exc:
            if self._seen:
                log.warning("cannot record this worker's beat (%s): peers are not judged until it can", exc)
            self._seen.clear()
            return []
        now = time.monotonic()
        silent = []
        for peer, beat_at in beats.items():
            if peer == s.worker_id:
                continue
            last = self._seen.get(peer)
            if last is None or last[0] != beat_at:
                self._seen[peer] = (beat_at, now)
            elif now - last[1] > s.session_timeout_s:
                silent.append(peer)
        if not silent:
            return []
        log.warning("workers %s silent for over %.0f s: removing them from the group", silent, s.session_timeout_s)
        try:
            removed = remove_members(s, s.app_id, silent)
        except Exception as exc:
            log.warning("could not remove %s from the group (%s): trying again at the next beat", silent, exc)
            return []
        for peer in removed:
            self._seen.pop(peer, None)
            # A restarted peer writes its beat again; until then it is not judged again.
            self.es.options(ignore_status=404).delete(index=s.workers_index, id=peer)
        return removed


def start_beating(settings: Settings) -> threading.Thread:
    """Beat in a thread of its own, from before the worker joins its group: a worker that cannot join because
    a dead member wedges the group (Faust starts its timers only once it has partitions) must still be able
    to remove that member. As often as Kafka heartbeats: a tenth of the session timeout."""
    live = Liveness(settings, sync_client(settings))

    def run() -> None:
        while True:
            try:
                live.beat()
            except Exception:  # a beat that failed in an unforeseen way must not end the beating
                log.exception("worker beat failed; beating on")
            time.sleep(settings.session_timeout_s / 10)

    thread = threading.Thread(target=run, name="liveness", daemon=True)
    thread.start()
    return thread
