"""Alerting end to end on the local servers: seeds -> worker -> one alert per story on every sink (alerts
topic, alerts index, JSON-lines file, webhook); an unrelated article fires none; a restarted worker and a
redelivered story fire nothing again.

The worker here has topics, indices, consumer group and data dir of its own (and a webhook URL), so its
articles and alerts never show up in the counts of the other end-to-end tests that share the servers."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from rich.console import Console

from tests.conftest import ROOT, SEEDS, WorkerProcess, free_port
from tests.httpstub import Stub, serve
from wiredesk.connectors import servers
from wiredesk.connectors.alert_sinks import read_new
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.producer import send_paths
from wiredesk.connectors.runner import wait_for_outcomes
from wiredesk.connectors.status import pipeline_lag
from wiredesk.connectors.worker import prepare_search
from wiredesk.pipeline.alerts import Alert, alert_id_for
from wiredesk.pipeline.settings import Settings

pytestmark = pytest.mark.integration

RULE = "diplomatic-coverage"
# A worker loads spaCy and joins its group within seconds; two minutes leaves room for a slow CI machine.
TIMEOUT_S = 120.0
UNRELATED = {
    "title": "Mill Street bakery wins regional bread prize",
    "source": "Valley Gazette",
    "body": (
        "A family bakery on Mill Street won first prize at the regional bread fair on Saturday, "
        "beating forty other entries with a rye loaf baked in a wood-fired oven.\n\n"
        "The owners said they would spend the prize money on a second oven and a delivery van. "
        "The fair returns next spring."
    ),
}


@pytest.fixture(scope="module")
def webhook() -> Iterator[Stub]:
    # The first delivery fails: the worker must retry it, and the alert still arrives exactly once.
    with serve(Stub(fail_first=1, fail_status=503)) as stub:
        yield stub


@pytest.fixture(scope="module")
def alerting(backend: Settings, webhook: Stub, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("alerting-e2e")
    prefix = "alerting-e2e"
    settings = backend.model_copy(
        update={
            "app_id": f"{prefix}-app",
            "worker_id": f"{prefix}-worker-1",
            "web_port": free_port(),
            "metrics_port": free_port(),
            "data_dir": tmp,
            **{
                f"topic_{t}": f"{prefix}-{t}"
                for t in ("raw", "cleaned", "deduped", "dlq", "stories", "alerts", "corrections")
            },
            "index_name": f"{prefix}-articles",
            "outcomes_index": f"{prefix}-outcomes",
            "alerts_index": f"{prefix}-alerts",
            "alert_rules_path": ROOT / "alerts.yml",
            "alerts_jsonl_path": tmp / "alerts.jsonl",
            "webhook_url": f"{webhook.url}/hooks/wiredesk",
        }
    )
    servers.create_topics(settings)
    prepare_search(settings)
    return settings


@pytest.fixture(scope="module")
def alerting_worker(alerting: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    proc = WorkerProcess(alerting, tmp_path_factory.mktemp("alerting-logs") / "worker.log")
    proc.start()
    yield proc
    proc.stop()


def produce(settings: Settings, paths: list[Path]) -> list[str]:
    summary = send_paths(settings, paths)
    assert not summary.failed and not summary.dead_lettered
    return summary.sent


def wait_for(condition: Callable[[], bool], what: str, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert worker.proc is not None and worker.proc.poll() is None, f"worker died:\n{worker.tail()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{worker.tail()}"
        time.sleep(0.3)


def stories_lag(settings: Settings) -> int:
    """Story messages the alerts agent has not committed yet."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=settings.app_id, enable_auto_commit=False
    )
    try:
        topic = settings.topic_stories
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return sum(end - (consumer.committed(tp) or 0) for tp, end in consumer.end_offsets(tps).items())
    finally:
        consumer.close()


def settled(settings: Settings, worker: WorkerProcess) -> None:
    """Until the worker has committed everything on the pipeline topics, stories included."""
    wait_for(lambda: pipeline_lag(settings) == 0 and stories_lag(settings) == 0, "the worker to catch up", worker)


def topic_values(settings: Settings, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


class Sinks:
    """Alert ids as each sink has them."""

    def __init__(self, settings: Settings, webhook: Stub) -> None:
        es = sync_client(settings)
        es.indices.refresh(index=settings.alerts_index)
        records = es.search(index=settings.alerts_index, size=100, query={"match_all": {}})["hits"]["hits"]
        self.index = [r["_source"] for r in records]
        self.topic = [Alert.model_validate_json(v) for v in topic_values(settings, settings.topic_alerts)]
        self.jsonl = read_new(settings.alerts_jsonl_path or settings.data_dir / "alerts.jsonl", 0)[0]
        self.webhook = [Alert.model_validate_json(r.body) for r in webhook.ok_requests()]

    def ids(self) -> dict[str, Counter[str]]:
        return {
            "index": Counter(r["alert_id"] for r in self.index),
            "topic": Counter(a.alert_id for a in self.topic),
            "jsonl": Counter(a.alert_id for a in self.jsonl),
            "webhook": Counter(a.alert_id for a in self.webhook),
        }


@pytest.fixture(scope="module")
def seeded(alerting: Settings, alerting_worker: WorkerProcess) -> dict[str, str]:
    """Seed article id -> its story id, once the worker has indexed both and evaluated their stories."""
    ids = produce(alerting, [SEEDS])
    assert len(set(ids)) == 2
    try:
        outcomes = wait_for_outcomes(alerting, ids, alerting_worker.proc, TIMEOUT_S, Console(quiet=True))
    except Exception:
        print(alerting_worker.tail())
        raise
    assert {o["outcome"] for o in outcomes.values()} == {"indexed"}
    settled(alerting, alerting_worker)
    es = sync_client(alerting)
    return {i: es.get(index=alerting.index_name, id=i)["_source"]["story_id"] for i in ids}


def expected_ids(seeded: dict[str, str]) -> set[str]:
    return {alert_id_for(RULE, story) for story in seeded.values()}


def test_seeds_fire_one_alert_per_story_on_every_sink(
    alerting: Settings, alerting_worker: WorkerProcess, webhook: Stub, seeded: dict[str, str]
) -> None:
    stories = set(seeded.values())
    expected = expected_ids(seeded)
    # The webhook is the last sink: once it has every alert, the rest have them too (or the test fails).
    wait_for(lambda: {a.alert_id for a in Sinks(alerting, webhook).webhook} >= expected, "the alerts", alerting_worker)
    sinks = Sinks(alerting, webhook)
    for sink, counts in sinks.ids().items():
        assert counts == Counter(expected), f"{sink}: {dict(counts)}, expected one each of {expected}"
    if len(stories) == 1:  # dedup grouped the two seeds into one story: exactly one alert in all
        assert len(expected) == 1

    for record in sinks.index:
        assert record["rule"] == RULE and record["status"] == "delivered"
        assert record["story_id"] in stories and record["article_id"] in seeded
        assert {d["sink"]: d["ok"] for d in record["deliveries"]} == {"topic": True, "jsonl": True, "webhook": True}
        (webhook_delivery,) = [d for d in record["deliveries"] if d["sink"] == "webhook"]
        assert webhook_delivery["attempts"] >= 1
    assert webhook.requests[0].status == 503  # the scripted failure was retried, not lost
    assert all(r.path == "/hooks/wiredesk" for r in webhook.requests)
    for alert in sinks.jsonl:
        assert "diplomacy" in alert.tags and "Antony Blinken" in alert.persons
        assert alert.received_at <= alert.fired_at  # what `make bench` turns into drop-folder-to-alert latency


def test_unrelated_article_fires_nothing(
    alerting: Settings, alerting_worker: WorkerProcess, webhook: Stub, seeded: dict[str, str], tmp_path: Path
) -> None:
    before = Sinks(alerting, webhook).ids()
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "bakery.json").write_text(json.dumps(UNRELATED))
    ids = produce(alerting, [folder])
    outcomes = wait_for_outcomes(alerting, ids, alerting_worker.proc, TIMEOUT_S, Console(quiet=True))
    assert {o["outcome"] for o in outcomes.values()} == {"indexed"}
    settled(alerting, alerting_worker)
    story = sync_client(alerting).get(index=alerting.index_name, id=ids[0])["_source"]["story_id"]
    assert story not in seeded.values()  # a story of its own, so its story was evaluated
    assert Sinks(alerting, webhook).ids() == before


def test_restart_and_redelivery_fire_nothing_again(
    alerting: Settings, alerting_worker: WorkerProcess, webhook: Stub, seeded: dict[str, str]
) -> None:
    before = Sinks(alerting, webhook).ids()
    assert sum(before["index"].values()) >= 1
    assert alerting_worker.stop() == 0, alerting_worker.tail()
    alerting_worker.start()
    # Redelivery, as after a crash before the commit: every story message again, and the seeds again.
    producer = KafkaProducer(bootstrap_servers=alerting.kafka_bootstrap, acks="all")
    try:
        for value in topic_values(alerting, alerting.topic_stories):
            producer.send(alerting.topic_stories, value=value)
        producer.flush()
    finally:
        producer.close()
    produce(alerting, [SEEDS])
    settled(alerting, alerting_worker)
    after = Sinks(alerting, webhook).ids()
    assert after == before
    assert all(r["status"] == "delivered" for r in Sinks(alerting, webhook).index)
