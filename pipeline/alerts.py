"""Alerting, pure: the rules file's schema, the one Elasticsearch query that evaluates every rule against a
new story's article, the alert built from a match, and the strict mapping of the alerts index.
connectors/alerter.py and connectors/alert_sinks.py do the I/O.

Why named queries and not the percolator: rules are few (a newsroom has tens, not thousands) and are
evaluated once per new story, so one search per batch of new stories, with every rule as a `should` clause
named after the rule (`_name` -> `matched_queries`), costs one small request and uses Elasticsearch's own
analysis of the real indexed document — the same semantics as `wiredesk search`. The percolator would pay off only with
thousands of rules; it needs a second index mirroring the article mapping, kept in sync with alerts.yml,
and the local server does not run `percolate` queries. Named queries work on both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from wiredesk.pipeline.index import ENGLISH_TEXT, KEYWORD, filter_clauses
from wiredesk.pipeline.models import SCHEMA_VERSION, DedupedArticle, Model, Strict

# A rule name becomes part of the alert id, a log line and a Kibana filter: short, lower case, no spaces.
RULE_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"

# Fields a query string searches when it names none; boosts as in `wiredesk search`.
QUERY_STRING_FIELDS = ["title^3", "kicker^2", "subtitle", "lead^2", "body", "entities.name^2"]

# What the evaluation search returns of the matched article: enough for an alert to be read on its own.
ALERT_SOURCE_FIELDS = ["indexed_at", "tags", "persons", "organisations", "places"]


class AlertRulesError(ValueError):
    """The rules file is missing, not YAML, or does not follow the schema. The message says where."""


class SinkKind(StrEnum):
    TOPIC = "topic"  # settings.topic_alerts
    INDEX = "index"  # settings.alerts_index: also the ledger that makes each alert fire once
    JSONL = "jsonl"  # settings.alerts_jsonl_path (default <data_dir>/alerts.jsonl)
    WEBHOOK = "webhook"  # settings.webhook_url


# External sinks are delivered in this order, cheapest and most reliable first, so a webhook that is down
# never delays the topic or the file. The index is not in it: it is written around them (connectors/alerter.py).
DELIVERY_ORDER: tuple[SinkKind, ...] = (SinkKind.TOPIC, SinkKind.JSONL, SinkKind.WEBHOOK)


class RuleFilters(Strict):
    """Each list matches ANY of its values; different lists must ALL hold. For "all of" write a query."""

    entities: tuple[str, ...] = ()  # entity names as a phrase: "Blinken" matches "Antony Blinken"
    tags: tuple[str, ...] = ()  # exact topic tags, e.g. diplomacy
    sources: tuple[str, ...] = ()  # exact outlet names, e.g. Wion


class AlertRule(Strict):
    name: str = Field(pattern=RULE_NAME)
    description: str = ""
    # An Elasticsearch query DSL object ({"match": {...}}, {"bool": {...}}), or a query string in Lucene
    # syntax over QUERY_STRING_FIELDS ("Blinken AND tags:diplomacy"); words are ANDed unless OR is written.
    query: dict[str, Any] | str = Field(default_factory=lambda: {"match_all": {}})
    filters: RuleFilters = RuleFilters()
    # Where to send. The index is always written (it is the record that an alert fired), listed or not.
    sinks: tuple[SinkKind, ...] = (SinkKind.TOPIC, SinkKind.INDEX, SinkKind.JSONL, SinkKind.WEBHOOK)

    @field_validator("query")
    @classmethod
    def _query_shape(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("an empty query string matches nothing; leave `query` out to match everything")
            return value
        if len(value) != 1:
            raise ValueError(f"a query object has exactly one top-level clause (e.g. match, bool), got {list(value)}")
        return value

    @field_validator("sinks")
    @classmethod
    def _sinks(cls, value: tuple[SinkKind, ...]) -> tuple[SinkKind, ...]:
        if not value:
            raise ValueError("list at least one sink: topic, index, jsonl, webhook")
        return tuple(dict.fromkeys((*value, SinkKind.INDEX)))


class RuleSet(Strict):
    rules: tuple[AlertRule, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}: names identify alerts and must be unique")
            seen.add(rule.name)
        return self

    def by_name(self, name: str) -> AlertRule:
        return next(r for r in self.rules if r.name == name)


def parse_rules(text: str, origin: str) -> RuleSet:
    """The rules file's text -> validated rules; any problem is an AlertRulesError naming `origin` and where."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AlertRulesError(f"{origin}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AlertRulesError(
            f"{origin}: expected a mapping with a `rules:` list at the top, got {type(data).__name__}"
        )
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(err['loc'], data)}: {err['msg']}" for err in exc.errors())
        raise AlertRulesError(f"{origin}: {problems}") from exc


def _where(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """`rules[1] (name 'x').query` instead of pydantic's bare tuple, so the rule is easy to find."""
    parts: list[str] = []
    node: Any = data
    for key in loc:
        if isinstance(key, int):
            parts[-1] += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "name" in node:
                parts[-1] += f" ({node['name']!r})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "top level"


def rule_query(rule: AlertRule) -> dict[str, Any]:
    """One rule as one query clause, named after the rule so a match reports it in `matched_queries`."""
    main: dict[str, Any] = (
        {"query_string": {"query": rule.query, "fields": QUERY_STRING_FIELDS, "default_operator": "AND"}}
        if isinstance(rule.query, str)
        else rule.query
    )
    f = rule.filters
    filters = filter_clauses(entities=f.entities, sources=f.sources, tags=f.tags)
    return {"bool": {"must": [main], "filter": filters, "_name": rule.name}}


def evaluation_query(article_ids: Sequence[str], rules: RuleSet) -> dict[str, Any]:
    """Every rule against a batch of articles in one search. The rules are optional `should` clauses, so
    each article comes back whenever it is searchable — matched or not — and a missing one means "not
    visible yet" (refresh and ask again), never "no rule matched"."""
    return {
        "bool": {
            "filter": [{"ids": {"values": list(article_ids)}}],
            "should": [rule_query(r) for r in rules.rules],
        }
    }


def validation_query(rules: RuleSet) -> dict[str, Any]:
    """All rules in one query that matches nothing, run once at start-up: the server rejects a bad clause
    (unknown query type, malformed DSL) with a 400 before the first story, not in the middle of the stream."""
    return {"bool": {"filter": [{"ids": {"values": []}}], "should": [rule_query(r) for r in rules.rules]}}


def matched_rules(hit: dict[str, Any], rules: RuleSet) -> list[AlertRule]:
    """The rules a hit matched, in file order."""
    names = set(hit.get("matched_queries") or ())
    return [r for r in rules.rules if r.name in names]


def alert_id_for(rule_name: str, story_id: str) -> str:
    """Deterministic: the same rule on the same story is the same alert, whoever evaluates it and however
    often — which is what lets the alerts index refuse a second one."""
    return hashlib.sha256(f"alert\x00{rule_name}\x00{story_id}".encode()).hexdigest()[:32]


class Alert(Model):
    """What every sink receives (topic, JSON line, webhook body) and the core of the index record."""

    schema_version: Literal[1] = SCHEMA_VERSION
    alert_id: str
    rule: str
    description: str = ""
    story_id: str
    article_id: str
    title: str
    source: str | None = None
    url: str | None = None
    origin: str
    published_at: datetime | None = None
    # When the article entered the pipeline and when its alert fired: fired_at - received_at is the
    # drop-folder-to-alert latency `make bench` measures.
    received_at: datetime
    indexed_at: datetime | None = None
    fired_at: datetime
    tags: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    # Set on a withdrawal notice: the provider killed the article the alert was about (sinks get the alert again
    # with this set, so a reader can take it back).
    withdrawn_at: datetime | None = None


def make_alert(rule: AlertRule, item: DedupedArticle, source: dict[str, Any], fired_at: datetime) -> Alert:
    """`source` is the indexed document's ALERT_SOURCE_FIELDS (entities and tags exist only after enrichment)."""
    a = item.article
    return Alert(
        alert_id=alert_id_for(rule.name, item.dedup.story_id),
        rule=rule.name,
        description=rule.description,
        story_id=item.dedup.story_id,
        article_id=a.article_id,
        title=a.title,
        source=a.source,
        url=a.url,
        origin=a.origin,
        published_at=a.published_at,
        received_at=a.received_at,
        indexed_at=source.get("indexed_at"),
        fired_at=fired_at,
        tags=tuple(source.get("tags") or ()),
        persons=tuple(source.get("persons") or ()),
        organisations=tuple(source.get("organisations") or ()),
        places=tuple(source.get("places") or ()),
    )


class AlertStatus(StrEnum):
    # Recorded before the external sinks are called: a crash now leaves it pending, and the redelivered
    # story sends again (at least once) instead of skipping an alert nobody received.
    PENDING = "pending"
    DELIVERED = "delivered"  # every external sink was tried; later deliveries of the story are skipped
    WITHDRAWN = "withdrawn"  # its article was killed and the withdrawal sent: never fired again


class Delivery(Model):
    sink: SinkKind
    ok: bool
    attempts: int = 1
    error: str | None = None
    at: datetime


def alert_record(alert: Alert, status: AlertStatus, deliveries: tuple[Delivery, ...] = ()) -> dict[str, Any]:
    """The alerts-index document: the alert, where it stands, and how each sink took it."""
    return {
        **alert.model_dump(mode="json"),
        "status": status.value,
        "deliveries": [d.model_dump(mode="json") for d in deliveries],
    }


DATE: dict[str, Any] = {"type": "date"}

ALERT_MAPPING: dict[str, Any] = {
    # strict, like the article index: a record with an unknown field is refused, not silently mapped.
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "alert_id": KEYWORD,
        "rule": KEYWORD,
        "description": {"type": "text"},
        "story_id": KEYWORD,
        "article_id": KEYWORD,
        "title": {**ENGLISH_TEXT, "fields": {"keyword": KEYWORD}},
        "source": KEYWORD,
        "url": KEYWORD,
        "origin": KEYWORD,
        "published_at": DATE,
        "received_at": DATE,
        "indexed_at": DATE,
        "fired_at": DATE,
        "withdrawn_at": DATE,
        "tags": KEYWORD,
        "persons": KEYWORD,
        "organisations": KEYWORD,
        "places": KEYWORD,
        "status": KEYWORD,
        "deliveries": {
            "properties": {
                "sink": KEYWORD,
                "ok": {"type": "boolean"},
                "attempts": {"type": "integer"},
                "error": {"type": "text"},
                "at": DATE,
            }
        },
    },
}


def alerts_jsonl_line(alert: Alert) -> str:
    return alert.model_dump_json() + "\n"
