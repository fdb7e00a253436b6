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

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from connectors.retry import policy
from pipeline.settings import Settings

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


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _search_answers(settings: Settings) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(settings.search_url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def state(settings: Settings) -> ServerState:
    return ServerState(kafka=_port_open(settings.kafka_port), search=_search_answers(settings))


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
    admin = retry(KafkaAdminClient, bootstrap_servers=settings.kafka_bootstrap, client_id=f"{settings.app_id}-admin")
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
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        for name, wanted in settings.all_topics.items():
            have = len(consumer.partitions_for_topic(name) or ())
            if have < wanted:
                raise ServerError(
                    f"topic {name} has {have} partitions, {wanted} configured: delete it or lower the setting"
                )
    finally:
        consumer.close()
