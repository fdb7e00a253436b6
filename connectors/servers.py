"""The local default ("embedded") servers: one noida-db process speaking the Kafka protocol and the
Elasticsearch 8 REST API on loopback, with its data under the project's data dir."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from wiredesk.connectors.retry import policy
from wiredesk.connectors.security import kafka_kwargs, search_kwargs
from wiredesk.pipeline.settings import Settings

# noida-db is built against a newer glibc and warns about it on every call; the warning is harmless
# (verified in shared/notes/infrastructure.md) and would only confuse users.
_HARMLESS = "GLIBC_2.39"


class ServerError(RuntimeError):
    """The local servers could not be started, stopped or reached."""


@dataclass(frozen=True)
class ServerState:
    kafka: bool
    search: bool


def _binary() -> str:
    beside_python = Path(sys.executable).parent / "noida-db"
    found = str(beside_python) if beside_python.exists() else shutil.which("noida-db")
    if not found:
        raise ServerError("noida-db is not installed: run `make install` (it comes with the Python package).")
    return found


def _noida(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [_binary(), *args, "--data-dir", str(local_data_dir(settings))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    proc.stderr = "\n".join(line for line in proc.stderr.splitlines() if _HARMLESS not in line)
    return proc


def local_data_dir(settings: Settings) -> Path:
    return (settings.data_dir / "noida").resolve()


def connect_any(bootstrap: str, timeout_s: float = 2.0) -> None:
    """Open and close a connection to the first broker of the list that accepts one; else raise the last error.
    Accepting a connection is enough: the Kafka client does the rest, with its own retries."""
    error: OSError | None = None
    for host, port in (a.rsplit(":", 1) for a in bootstrap.split(",")):
        try:
            # A broker that is up accepts in milliseconds; 2 s allows for a slow network, not for a broker.
            socket.create_connection((host, int(port)), timeout=timeout_s).close()
            return
        except OSError as exc:
            error = exc
    assert error is not None  # the list is never empty: Settings always has a broker URL
    raise error


def _broker_answers(settings: Settings) -> bool:
    try:
        # Half a second per broker: `wiredesk up` polls this every 0.1 s while the local server starts.
        connect_any(settings.kafka_bootstrap, timeout_s=0.5)
    except OSError:
        return False
    return True


def _search_answers(settings: Settings) -> bool:
    # The configured URL, with its credentials and TLS settings: a server that refuses them is not usable.
    return bool(Elasticsearch(**{**search_kwargs(settings), "request_timeout": 2.0}).ping())


def state(settings: Settings) -> ServerState:
    """Whether the configured broker and search server answer (at the configured addresses, whichever host)."""
    return ServerState(kafka=_broker_answers(settings), search=_search_answers(settings))


def up(settings: Settings, timeout_s: float = 30.0) -> bool:
    """Start the local servers unless both already answer; wait until they do; create the topics.

    Returns True when this call started them (so the caller knows whether to stop them again)."""
    started = False
    current = state(settings)
    if not (current.kafka and current.search):
        if current.kafka or current.search:
            raise ServerError(
                f"only one of Kafka (:{settings.kafka_port}) and Elasticsearch (:{settings.search_port}) answers; "
                "another program may hold the other port. Stop it or set WIREDESK_BROKER_URL/WIREDESK_SEARCH_URL."
            )
        local_data_dir(settings).mkdir(parents=True, exist_ok=True)
        proc = _noida(
            settings,
            "up",
            "--only",
            "kafka,elasticsearch",
            "--host",
            "127.0.0.1",
            "--kafka-port",
            str(settings.kafka_port),
            "--elasticsearch-port",
            str(settings.search_port),
        )
        if proc.returncode != 0:
            raise ServerError(f"noida-db up failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        started = True
    wait_ready(settings, timeout_s)
    create_topics(settings)
    return started


def wait_ready(settings: Settings, timeout_s: float) -> None:
    def check() -> None:
        current = state(settings)
        if not (current.kafka and current.search):
            raise ServerError(f"servers did not answer within {timeout_s:.0f} s: {current}")

    # The local servers start in ~20 ms: waits of at most half a second.
    policy("wait for the local servers", on=ServerError, base_s=0.05, cap_s=0.5, deadline_s=timeout_s)(check)


def down(settings: Settings) -> None:
    proc = _noida(settings, "down")
    if proc.returncode != 0 and state(settings).kafka:
        raise ServerError(f"noida-db down failed: {proc.stderr.strip() or proc.stdout.strip()}")


def stop_service(settings: Settings, service: str) -> None:
    """Stop one service of the running local server (data is kept): for fault tests and drills."""
    proc = _noida(settings, "stop", service)
    if proc.returncode != 0:
        raise ServerError(f"noida-db stop {service} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def start_service(settings: Settings, service: str) -> None:
    proc = _noida(settings, "start", service)
    if proc.returncode != 0:
        raise ServerError(f"noida-db start {service} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def create_topics(settings: Settings, timeout_s: float = 30.0) -> None:
    """Create every topic with its partition count. Auto-created topics would get one partition, which
    would silently cap the number of workers at one."""
    # A broker that was just started answers within a second or so: short waits.
    retry = policy("connect to the broker", on=KafkaError, base_s=0.1, cap_s=1.0, deadline_s=timeout_s)
    admin = retry(KafkaAdminClient, **kafka_kwargs(settings), client_id=f"{settings.app_id}-admin")
    try:
        for name, partitions in settings.all_topics.items():
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()
    check_topics(settings)


def check_topics(settings: Settings) -> None:
    """Refuse to run on a topic with fewer partitions than configured (e.g. one auto-created earlier).
    kafka-python's describe_topics() fails on the local server; partitions_for_topic() works everywhere."""
    consumer = KafkaConsumer(**kafka_kwargs(settings))
    try:
        for name, wanted in settings.all_topics.items():
            have = len(consumer.partitions_for_topic(name) or ())
            if have < wanted:
                raise ServerError(
                    f"topic {name} has {have} partitions, {wanted} configured: delete it or lower the setting"
                )
    finally:
        consumer.close()
