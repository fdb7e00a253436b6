"""Alert rules, alerts and sinks: the pure parts without servers, the webhook against a local HTTP server,
and the Alerter (evaluate, claim, deliver, record) against the local Elasticsearch."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, free_port, settings_env
from tests.factories import T0, deduped, enriched
from tests.httpstub import Stub, serve
from wiredesk.connectors.alert_sinks import JsonlSink, TopicSink, WebhookSink, follow_alerts, jsonl_path, read_new
from wiredesk.connectors.alerter import Alerter, load_rules
from wiredesk.connectors.cli import main
from wiredesk.connectors.elastic import setup_indices, sync_client
from wiredesk.pipeline.alerts import (
    ALERT_MAPPING,
    Alert,
    AlertRulesError,
    AlertStatus,
    RuleSet,
    SinkKind,
    alert_id_for,
    alert_record,
    evaluation_query,
    make_alert,
    matched_rules,
    parse_rules,
    rule_query,
)
from wiredesk.pipeline.index import ARTICLE_MAPPING, index_action, to_document
from wiredesk.pipeline.models import EnrichedArticle, Tag
from wiredesk.pipeline.settings import Settings

RULES = """
rules:
  - name: diplomacy
    filters: {tags: [diplomacy]}
  - name: blinken-wion
    query: "Blinken"
    filters: {sources: [Wion], entities: [Blinken]}
    sinks: [topic, jsonl]
  - name: football
    query: {match: {body: football}}
"""


def alert(rule: str = "diplomacy", story: str = "s1", fired_at: datetime = T0) -> Alert:
    item = deduped("a1")
    return make_alert(
        parse_rules(RULES, "t").by_name(rule),
        item.model_copy(update={"dedup": item.dedup.model_copy(update={"story_id": story})}),
        {"tags": ["diplomacy"], "persons": ["Antony Blinken"]},
        fired_at,
    )


# --- the rules file --------------------------------------------------------------------------------------


def test_shipped_rules_file_is_valid_and_has_the_diplomatic_rule() -> None:
    rules = load_rules(ROOT / "alerts.yml")
    rule = rules.by_name("diplomatic-coverage")
    assert rule.filters.tags == ("diplomacy",)
    assert set(rule.sinks) == set(SinkKind)


def test_rules_parse_both_query_forms_and_always_write_the_index() -> None:
    rules = parse_rules(RULES, "t")
    assert [r.name for r in rules.rules] == ["diplomacy", "blinken-wion", "football"]
    assert rules.by_name("blinken-wion").sinks == (SinkKind.TOPIC, SinkKind.JSONL, SinkKind.INDEX)
    assert rules.by_name("diplomacy").query == {"match_all": {}}
    assert parse_rules("", "empty.yml").rules == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [", "not valid YAML"),
        ("- just a list", "expected a mapping"),
        ("rules:\n  - query: x\n", "rules[0].name: Field required"),
        ("rules:\n  - name: Has Spaces\n", "rules[0] ('Has Spaces').name"),
        ("rules:\n  - name: a\n  - name: a\n", "two rules are named 'a'"),
        ("rules:\n  - name: a\n    query: {match: {}, term: {}}\n", "exactly one top-level clause"),
        ("rules:\n  - name: a\n    query: '  '\n", "empty query string"),
        ("rules:\n  - name: a\n    sinks: [pager]\n", "rules[0] ('a').sinks[0]"),
        ("rules:\n  - name: a\n    sinks: []\n", "at least one sink"),
        ("rules:\n  - name: a\n    filters: {tag: [x]}\n", "rules[0] ('a').filters.tag: Extra inputs"),
        ("rulez: []\n", "rulez: Extra inputs"),
    ],
)
def test_bad_rules_are_clear_errors(text: str, expected: str) -> None:
    with pytest.raises(AlertRulesError) as err:
        parse_rules(text, "alerts.yml")
    assert str(err.value).startswith("alerts.yml: ")
    assert expected in str(err.value)


def test_missing_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AlertRulesError, match="no alert rules file there"):
        load_rules(tmp_path / "nope.yml")


def test_alerts_check_command(tmp_path: Path) -> None:
    good = CliRunner().invoke(main, ["alerts", "check", str(ROOT / "alerts.yml")])
    assert good.exit_code == 0, good.output
    assert "diplomatic-coverage" in good.output
    bad_file = tmp_path / "bad.yml"
    bad_file.write_text("rules:\n  - name: Bad Name\n")
    bad = CliRunner().invoke(main, ["alerts", "check", str(bad_file)])
    assert bad.exit_code == 1
    assert "Bad Name" in bad.output


# --- queries and alerts ----------------------------------------------------------------------------------


def test_rule_query_names_the_clause_and_applies_filters() -> None:
    rules = parse_rules(RULES, "t")
    q = rule_query(rules.by_name("blinken-wion"))["bool"]
    assert q["_name"] == "blinken-wion"
    assert q["must"][0]["query_string"]["query"] == "Blinken"
    assert q["must"][0]["query_string"]["default_operator"] == "AND"
    assert {"terms": {"source": ["Wion"]}} in q["filter"]
    assert q["filter"][0]["bool"]["should"] == [{"match_phrase": {"entities.name": "Blinken"}}]
    assert rule_query(rules.by_name("football"))["bool"]["must"] == [{"match": {"body": "football"}}]


def test_rule_fields_exist_in_the_article_mapping() -> None:
    """Every field the rule machinery queries is mapped, so a rule never silently matches nothing."""
    props = ARTICLE_MAPPING["properties"]
    assert "name" in props["entities"]["properties"] and "tags" in props and "source" in props


def test_evaluation_query_filters_one_article_with_optional_named_rules() -> None:
    q = evaluation_query(["a1", "a2"], parse_rules(RULES, "t"))["bool"]
    assert q["filter"] == [{"ids": {"values": ["a1", "a2"]}}]
    assert [c["bool"]["_name"] for c in q["should"]] == ["diplomacy", "blinken-wion", "football"]
    assert "minimum_should_match" not in q  # the article comes back matched or not: visibility is observable


def test_matched_rules_keep_file_order() -> None:
    rules = parse_rules(RULES, "t")
    assert [r.name for r in matched_rules({"matched_queries": ["football", "diplomacy"]}, rules)] == [
        "diplomacy",
        "football",
    ]
    assert matched_rules({}, rules) == []


def test_alert_ids_are_deterministic_per_rule_and_story() -> None:
    assert alert_id_for("r", "s1") == alert_id_for("r", "s1")
    assert len({alert_id_for("r", "s1"), alert_id_for("r", "s2"), alert_id_for("q", "s1")}) == 3
    fired = alert(fired_at=T0 + timedelta(seconds=3))
    assert fired.alert_id == alert_id_for("diplomacy", "s1")
    # What `make bench` needs for drop-folder-to-alert latency:
    assert fired.fired_at - fired.received_at == timedelta(seconds=3)
    assert fired.persons == ("Antony Blinken",)


def test_alert_record_fits_the_strict_mapping() -> None:
    record = alert_record(alert(), AlertStatus.PENDING)
    assert set(record) <= set(ALERT_MAPPING["properties"])
    assert set(Alert.model_fields) <= set(ALERT_MAPPING["properties"])


# --- sinks -----------------------------------------------------------------------------------------------


def test_topic_sink_keys_by_story() -> None:
    sent: list[tuple[bytes, bytes]] = []

    async def publish(key: bytes, value: bytes) -> None:
        sent.append((key, value))

    delivery = asyncio.run(TopicSink(publish).send(alert()))
    assert delivery.ok and sent[0][0] == b"s1"
    assert Alert.model_validate_json(sent[0][1]) == alert()


def test_topic_sink_waits_for_a_broker_that_is_away() -> None:
    sent: list[bytes] = []

    async def publish(key: bytes, value: bytes) -> None:
        if not sent:
            sent.append(b"failed")
            raise ConnectionError("broker restarting")
        sent.append(key)

    delivery = asyncio.run(TopicSink(publish, base_s=0.001, cap_s=0.01).send(alert()))
    assert delivery.ok and delivery.attempts == 2 and sent == [b"failed", b"s1"]


def test_jsonl_sink_appends_and_tail_reads_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "alerts.jsonl"
    assert read_new(path, 0) == ([], 0)
    asyncio.run(JsonlSink(path).send(alert(story="s1")))
    asyncio.run(JsonlSink(path).send(alert(story="s2")))
    alerts, offset = read_new(path, 0)
    assert [a.story_id for a in alerts] == ["s1", "s2"] and offset == path.stat().st_size
    with path.open("a") as fh:  # a writer half-way through a line, and a line that is not an alert
        fh.write("not json\n" + alert(story="s3").model_dump_json()[:20])
    alerts, offset2 = read_new(path, offset)
    assert alerts == [] and offset2 > offset
    path.write_text(alert(story="s4").model_dump_json() + "\n")  # rotated: shorter than the offset
    assert [a.story_id for a in read_new(path, offset2)[0]] == ["s4"]


def test_follow_yields_new_alerts_until_stopped(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    asyncio.run(JsonlSink(path).send(alert(story="old")))
    _, offset = read_new(path, 0)
    asyncio.run(JsonlSink(path).send(alert(story="new")))
    seen: list[str] = []
    for a in follow_alerts(path, offset, poll_s=0.01, stop=lambda: len(seen) >= 1):
        seen.append(a.story_id)
    assert seen == ["new"]


def test_alerts_tail_command(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    now = datetime.now(UTC)
    for story, age in (("s1", timedelta(days=3)), ("s2", timedelta(hours=1)), ("s3", timedelta(minutes=1))):
        asyncio.run(JsonlSink(path).send(alert(story=story, fired_at=now - age)))
    runner = CliRunner()
    last = runner.invoke(main, ["alerts", "tail", "--no-follow", "-n", "2", "--file", str(path)])
    assert last.exit_code == 0, last.output
    assert "s1" not in last.output and "story s2" in last.output and "story s3" in last.output
    recent = runner.invoke(main, ["alerts", "tail", "--no-follow", "--since", "24h", "--json", "--file", str(path)])
    assert [json.loads(line)["story_id"] for line in recent.output.splitlines()] == ["s2", "s3"]
    bad = runner.invoke(main, ["alerts", "tail", "--no-follow", "--since", "yesterday", "--file", str(path)])
    assert bad.exit_code == 2 and "24h" in bad.output


def test_jsonl_path_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert jsonl_path(Settings(data_dir=tmp_path)) == tmp_path / "alerts.jsonl"
    assert jsonl_path(Settings(data_dir=tmp_path, alerts_jsonl_path=tmp_path / "x.jsonl")) == tmp_path / "x.jsonl"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def webhook(url: str, sleeps: Sleeps, attempts: int = 5) -> WebhookSink:
    return WebhookSink(url, attempts=attempts, timeout_s=5.0, base_s=0.5, cap_s=4.0, sleep=sleeps)


def test_webhook_retries_with_capped_jittered_backoff_until_it_gets_through() -> None:
    sleeps = Sleeps()
    with serve(Stub(fail_first=3)) as stub:
        delivery = asyncio.run(webhook(stub.url, sleeps).send(alert()))
    assert delivery.ok and delivery.attempts == 4
    assert [r.status for r in stub.requests] == [500, 500, 500, 200]
    # Full jitter: attempt k waits uniformly in [0, min(cap, base * 2**k)].
    assert len(sleeps.delays) == 3
    assert all(0 <= d <= min(4.0, 0.5 * 2**k) for k, d in enumerate(sleeps.delays))
    request = stub.requests[-1]
    assert request.headers["idempotency-key"] == alert().alert_id
    assert request.headers["content-type"] == "application/json"
    assert Alert.model_validate_json(request.body) == alert()


def test_webhook_gives_up_after_its_attempts() -> None:
    sleeps = Sleeps()
    with serve(Stub(fail_first=100, fail_status=503)) as stub:
        delivery = asyncio.run(webhook(stub.url, sleeps, attempts=3).send(alert()))
    assert not delivery.ok and delivery.attempts == 3 and "503" in (delivery.error or "")
    assert len(stub.requests) == 3 and len(sleeps.delays) == 2


def test_webhook_does_not_retry_a_refused_payload() -> None:
    sleeps = Sleeps()
    with serve(Stub(fail_first=100, fail_status=400)) as stub:
        delivery = asyncio.run(webhook(stub.url, sleeps).send(alert()))
    assert not delivery.ok and delivery.attempts == 1 and len(stub.requests) == 1 and sleeps.delays == []


def test_webhook_retries_an_unreachable_endpoint() -> None:
    sleeps = Sleeps()
    delivery = asyncio.run(webhook(f"http://127.0.0.1:{free_port()}/hook", sleeps, attempts=2).send(alert()))
    assert not delivery.ok and delivery.attempts == 2 and "unreachable" in (delivery.error or "")


# --- the Alerter against the local Elasticsearch --------------------------------------------------------


@pytest.fixture(scope="module")
def alerting_es(backend: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The backend with indices of its own, so these documents do not show up in other tests' counts."""
    settings = backend.model_copy(
        update={
            "index_name": "alerter-test-articles",
            "outcomes_index": "alerter-test-outcomes",
            "alerts_index": "alerter-test-alerts",
            "alerts_jsonl_path": tmp_path_factory.mktemp("alerter") / "alerts.jsonl",
            "retry_base_s": 0.05,
        }
    )
    setup_indices(sync_client(settings), settings)
    return settings


def article(aid: str, *, body: str, tags: tuple[str, ...], source: str = "Wion") -> EnrichedArticle:
    base = enriched(deduped(aid))
    blocks = tuple(b.model_copy(update={"text": body}) for b in base.article.blocks)
    return base.model_copy(
        update={
            "article": base.article.model_copy(update={"source": source, "blocks": blocks}),
            "tags": tuple(Tag(name=t) for t in tags),
        }
    )


class Harness:
    def __init__(self, settings: Settings, rules: RuleSet, webhook_url: str) -> None:
        self.settings = settings.model_copy(update={"webhook_url": webhook_url})
        self.published: list[tuple[bytes, bytes]] = []
        self.rules = rules

    async def publish(self, key: bytes, value: bytes) -> None:
        self.published.append((key, value))

    def index(self, *items: EnrichedArticle, refresh: bool) -> None:
        es = sync_client(self.settings)
        for item in items:
            action = index_action(self.settings.index_name, to_document(item, T0))
            es.index(index=self.settings.index_name, id=action["_id"], document=action["_source"])
        if refresh:
            es.indices.refresh(index=self.settings.index_name)

    def on_story(self, item: EnrichedArticle) -> list[Alert]:
        async def run() -> list[Alert]:
            alerter = Alerter.create(self.settings, self.rules, self.publish)
            try:
                await alerter.start()
                # The stories topic carries the DedupedArticle; entities and tags come from the index.
                return await alerter.on_story(deduped(item.article.article_id).model_dump_json().encode())
            finally:
                await alerter.close()

        return asyncio.run(run())

    def record(self, alert_id: str) -> dict[str, Any]:
        return dict(sync_client(self.settings).get(index=self.settings.alerts_index, id=alert_id)["_source"])


@pytest.fixture
def harness(alerting_es: Settings) -> Iterator[Harness]:
    with serve(Stub()) as stub:
        yield Harness(alerting_es, parse_rules(RULES, "t"), stub.url)


@pytest.mark.integration
def test_alerter_fires_matching_rules_once_on_every_sink(harness: Harness) -> None:
    item = article("alerter-1", body="Antony Blinken met Liu Jianchao for talks.", tags=("diplomacy",))
    harness.index(item, refresh=False)  # not refreshed yet: the alerter must refresh and look again
    fired = harness.on_story(item)
    assert sorted(a.rule for a in fired) == ["blinken-wion", "diplomacy"]
    by_rule = {a.rule: a for a in fired}
    # topic and index for both; jsonl for both; the webhook only for the rule that lists it
    assert sorted(Alert.model_validate_json(v).rule for _, v in harness.published) == ["blinken-wion", "diplomacy"]
    lines, _ = read_new(jsonl_path(harness.settings), 0)
    assert {a.alert_id for a in lines} >= {a.alert_id for a in fired}
    record = harness.record(by_rule["diplomacy"].alert_id)
    assert record["status"] == "delivered"
    assert {d["sink"]: d["ok"] for d in record["deliveries"]} == {"topic": True, "jsonl": True, "webhook": True}
    assert {d["sink"] for d in harness.record(by_rule["blinken-wion"].alert_id)["deliveries"]} == {"topic", "jsonl"}
    assert by_rule["diplomacy"].tags == ("diplomacy",) and by_rule["diplomacy"].indexed_at is not None

    # The same story again (redelivery, restart): nothing is sent anywhere.
    harness.published.clear()
    assert harness.on_story(item) == []
    assert harness.published == []
    assert read_new(jsonl_path(harness.settings), 0)[0] == lines


@pytest.mark.integration
def test_alerter_fires_nothing_for_an_unrelated_story(harness: Harness) -> None:
    item = article("alerter-2", body="The bakery on Mill Street won the regional bread prize.", tags=(), source="AP")
    harness.index(item, refresh=True)
    assert harness.on_story(item) == []
    assert harness.published == []


@pytest.mark.integration
def test_alerter_resends_an_alert_a_crash_left_pending(harness: Harness) -> None:
    item = article("alerter-3", body="Envoys met for talks.", tags=("diplomacy",), source="AP")
    harness.index(item, refresh=True)
    # A worker claimed the alert and died before any sink: the record is pending.
    crashed = alert(rule="diplomacy", story="alerter-3", fired_at=T0)
    sync_client(harness.settings).create(
        index=harness.settings.alerts_index,
        id=crashed.alert_id,
        document=alert_record(crashed, AlertStatus.PENDING),
    )
    fired = harness.on_story(item)
    assert [a.alert_id for a in fired] == [crashed.alert_id]
    assert fired[0].fired_at == T0  # the stored alert is re-sent as it was claimed
    assert harness.record(crashed.alert_id)["status"] == "delivered"
    assert len(harness.published) == 1


@pytest.mark.integration
def test_alerter_refuses_a_rule_elasticsearch_rejects(alerting_es: Settings) -> None:
    rules = parse_rules("rules:\n  - name: broken\n    query: {no_such_query: {}}\n", "bad.yml")

    async def run() -> None:
        async def publish(key: bytes, value: bytes) -> None:
            pass

        alerter = Alerter.create(alerting_es, rules, publish)
        try:
            await alerter.start()
        finally:
            await alerter.close()

    with pytest.raises(AlertRulesError, match="refuses a rule's query"):
        asyncio.run(run())


@pytest.mark.integration
def test_alerter_evaluates_a_batch_in_one_go(harness: Harness) -> None:
    one = article("alerter-4", body="Envoys met for talks.", tags=("diplomacy",), source="AP")
    two = article("alerter-5", body="Ministers met for talks.", tags=("diplomacy",), source="AP")
    harness.index(one, two, refresh=False)
    payloads = [deduped(a.article.article_id).model_dump_json().encode() for a in (one, two, one)]

    async def run() -> list[Alert]:
        alerter = Alerter.create(harness.settings, harness.rules, harness.publish)
        try:
            # A redelivered story in the same batch, and a message that is not a story at all.
            return await alerter.on_stories([*payloads, b"not a story"])
        finally:
            await alerter.close()

    fired = asyncio.run(run())
    assert sorted(a.story_id for a in fired) == ["alerter-4", "alerter-5"]
    assert {a.rule for a in fired} == {"diplomacy"}


@pytest.mark.integration
def test_worker_refuses_to_start_with_a_bad_rules_file(backend: Settings, tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yml"
    rules.write_text("rules:\n  - name: Not A Valid Name\n")
    settings = backend.model_copy(update={"data_dir": tmp_path, "alert_rules_path": rules})
    proc = subprocess.run(
        [sys.executable, "-m", "wiredesk.connectors.cli", "worker"],
        cwd=ROOT,
        env={**os.environ, **settings_env(settings)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"Error: alert rules: {rules}: rules[0] ('Not A Valid Name').name" in proc.stderr
