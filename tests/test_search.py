"""Index set-up and `wiredesk search` against the local Elasticsearch: documents are indexed directly (no
pipeline), then searched with filters and one hit per story."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from elasticsearch import ApiError

from tests.conftest import settings_env
from tests.factories import deduped, enriched
from wiredesk.connectors.cli import main
from wiredesk.connectors.elastic import ROLLOVER, SearchSink, ilm_available, setup_indices, sync_client
from wiredesk.connectors.search import SearchFilters, parse_since, search_articles
from wiredesk.pipeline.alerts import ALERT_MAPPING
from wiredesk.pipeline.index import first_index, index_action, to_document
from wiredesk.pipeline.models import DedupLevel, EnrichedArticle, Entity, Tag
from wiredesk.pipeline.settings import Settings

NOW = datetime.now(UTC)

# --- --since ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2W", NOW - timedelta(weeks=2)),
        ("2024-01-12", datetime(2024, 1, 12, tzinfo=UTC)),
        ("2024-01-12T18:30:00+01:00", datetime(2024, 1, 12, 17, 30, tzinfo=UTC)),
    ],
)
def test_parse_since(value: str, expected: datetime) -> None:
    assert parse_since(value, now=NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "24", "h24", "-1d", ""])
def test_parse_since_refuses_what_it_cannot_read(value: str) -> None:
    with pytest.raises(ValueError, match="30m, 24h, 7d"):
        parse_since(value, now=NOW)


# --- index lifecycle: a server with ILM (stand-in) and the local one (without) ---------------------------


class FakeNamespace:
    def __init__(self, calls: list[tuple[str, dict[str, Any]]], prefix: str, answers: dict[str, Any]) -> None:
        self._calls, self._prefix, self._answers = calls, prefix, answers

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self._calls.append((f"{self._prefix}.{name}", kwargs))
            return self._answers.get(name)

        return call


class FakeES:
    """Records the set-up calls of a server that has ILM and already has the alias and indices."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        alias = {"wiredesk-articles-000001": {"aliases": {"wiredesk-articles": {"is_write_index": True}}}}
        self.ilm = FakeNamespace(self.calls, "ilm", {"get_status": {"operation_mode": "RUNNING"}})
        self.indices = FakeNamespace(self.calls, "indices", {"exists_alias": True, "exists": True, "get_alias": alias})

    def named(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]


def test_setup_applies_a_rollover_policy_where_the_server_has_ilm() -> None:
    es = FakeES()
    setup_indices(es, Settings())  # type: ignore[arg-type]
    (policy,) = es.named("ilm.put_lifecycle")
    assert policy["name"] == "wiredesk-articles"
    assert policy["policy"]["phases"]["hot"]["actions"]["rollover"] == ROLLOVER
    (template,) = es.named("indices.put_index_template")
    lifecycle = {"index.lifecycle.name": "wiredesk-articles", "index.lifecycle.rollover_alias": "wiredesk-articles"}
    assert lifecycle.items() <= template["template"]["settings"].items()
    assert template["template"]["settings"]["number_of_shards"] == 1
    # The write index that existed before the policy is put under it too.
    assert es.named("indices.put_settings") == [{"index": "wiredesk-articles-000001", "settings": lifecycle}]


@pytest.fixture(scope="module")
def search_settings(backend: Settings) -> Settings:
    """The backend with indices of its own, so these documents do not show up in other tests' counts."""
    settings = backend.model_copy(
        update={
            "index_name": "search-test-articles",
            "outcomes_index": "search-test-outcomes",
            "alerts_index": "search-test-alerts",
        }
    )
    es = sync_client(settings)
    setup_indices(es, settings)
    setup_indices(es, settings)  # safe to run again
    return settings


@pytest.mark.integration
def test_local_setup_without_ilm_creates_alias_and_strict_alerts_index(search_settings: Settings) -> None:
    es = sync_client(search_settings)
    assert not ilm_available(es)
    assert es.indices.exists_alias(name=search_settings.index_name)
    assert list(es.indices.get_alias(name=search_settings.index_name)) == [first_index(search_settings.index_name)]
    mapping = es.indices.get_mapping(index=search_settings.alerts_index)[search_settings.alerts_index]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert set(mapping["properties"]) == set(ALERT_MAPPING["properties"])
    with pytest.raises(ApiError):  # strict: an unknown field is refused
        es.index(index=search_settings.alerts_index, id="x", document={"no_such_field": 1})


# --- search ----------------------------------------------------------------------------------------------


def doc(
    aid: str,
    *,
    story: str,
    source: str,
    title: str,
    body: str,
    tags: tuple[str, ...] = (),
    persons: tuple[str, ...] = (),
    age: timedelta = timedelta(0),
) -> dict[str, Any]:
    base = enriched(deduped(aid))
    canonical = aid == story
    dedup = base.dedup.model_copy(
        update={
            "story_id": story,
            "is_canonical": canonical,
            "duplicate_of": None if canonical else story,
            "level": DedupLevel.UNIQUE if canonical else DedupLevel.REWRITE,
        }
    )
    blocks = tuple(b.model_copy(update={"text": body}) for b in base.article.blocks)
    item = EnrichedArticle(
        article=base.article.model_copy(update={"source": source, "title": title, "blocks": blocks}),
        dedup=dedup,
        entities=tuple(Entity(name=p, label="PERSON", mentions=1, first_position=0, salient=True) for p in persons),
        tags=tuple(Tag(name=t) for t in tags),
    )
    return index_action("search-test-articles", to_document(item, NOW - age))


ARTICLES = [
    # One story carried by three outlets (two articles from Wion), one by a single outlet, one old story.
    doc("b1", story="b1", source="Wion", title="Blinken meets Liu Jianchao", body="Blinken and Liu held talks.",
        tags=("diplomacy",), persons=("Antony Blinken", "Liu Jianchao")),
    doc("b2", story="b1", source="Reuters", title="US, China envoys talk", body="Blinken met Liu in Washington.",
        tags=("diplomacy",), persons=("Antony Blinken",)),
    doc("b3", story="b1", source="AP", title="Blinken, Liu discuss Taiwan", body="Blinken urged stability.",
        tags=("diplomacy", "elections"), persons=("Antony Blinken", "Liu Jianchao")),
    doc("b4", story="b1", source="Wion", title="Blinken talks, update", body="Blinken and Liu, updated.",
        tags=("diplomacy",), persons=("Antony Blinken",)),
    doc("f1", story="f1", source="AP", title="Cup final ends in a draw", body="The football final ended 1-1.",
        tags=("sport",)),
    doc("o1", story="o1", source="Reuters", title="Blinken's earlier visit", body="Blinken visited Beijing.",
        tags=("diplomacy",), persons=("Antony Blinken",), age=timedelta(days=10)),
]  # fmt: skip


@pytest.fixture(scope="module")
def indexed(search_settings: Settings) -> Settings:
    async def write() -> None:
        sink = SearchSink(search_settings)
        try:
            results = await sink.write(ARTICLES)
        finally:
            await sink.close()
        assert all(r.status in (200, 201) for r in results), results

    asyncio.run(write())
    sync_client(search_settings).indices.refresh(index=search_settings.index_name)
    return search_settings


def ids(hits: list[dict[str, Any]]) -> set[str]:
    return {h["article_id"] for h in hits}


@pytest.mark.integration
def test_full_text_and_match_all(indexed: Settings) -> None:
    assert ids(search_articles(indexed, "Blinken")) == {"b1", "b2", "b3", "b4", "o1"}
    newest_first = search_articles(indexed, "", size=10)
    assert len(newest_first) == len(ARTICLES) and newest_first[-1]["article_id"] == "o1"
    assert all(h["highlight"] for h in search_articles(indexed, "football"))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(entities=("Liu Jianchao",)), {"b1", "b3"}),
        (SearchFilters(entities=("Liu",)), {"b1", "b3"}),  # a phrase inside the name
        (SearchFilters(entities=("Liu", "Nobody")), {"b1", "b3"}),  # any of
        (SearchFilters(sources=("AP",)), {"b3"}),
        (SearchFilters(sources=("AP", "Wion")), {"b1", "b3", "b4"}),
        (SearchFilters(tags=("elections",)), {"b3"}),
        (SearchFilters(since=NOW - timedelta(days=1)), {"b1", "b2", "b3", "b4"}),
        (SearchFilters(story="o1"), {"o1"}),
        (SearchFilters(tags=("diplomacy",), sources=("Reuters",)), {"b2", "o1"}),  # all filters hold
        (SearchFilters(tags=("sport",)), set()),  # the text query still applies
    ],
)
def test_filters(indexed: Settings, filters: SearchFilters, expected: set[str]) -> None:
    assert ids(search_articles(indexed, "Blinken", filters=filters)) == expected


@pytest.mark.integration
def test_one_per_story_counts_outlets(indexed: Settings) -> None:
    hits = search_articles(indexed, "Blinken", one_per_story=True)
    by_story = {h["story_id"]: h for h in hits}
    assert set(by_story) == {"b1", "o1"}
    assert by_story["b1"]["story_outlets"] == ["AP", "Reuters", "Wion"]
    assert by_story["b1"]["story_articles"] == 4
    assert by_story["o1"]["story_outlets"] == ["Reuters"] and by_story["o1"]["story_articles"] == 1
    # Filters apply inside the story too: only the Wion copies are left.
    (wion,) = search_articles(indexed, "", filters=SearchFilters(sources=("Wion",)), one_per_story=True)
    assert wion["story_outlets"] == ["Wion"] and wion["story_articles"] == 2


@pytest.fixture
def cli_env(indexed: Settings) -> Iterator[dict[str, str]]:
    yield settings_env(indexed)


@pytest.mark.integration
def test_search_command_json_and_filters(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    args = ["search", "Blinken", "--json", "--one-per-story", "--tag", "diplomacy", "--since", "7d"]
    result = runner.invoke(main, args, env=cli_env)
    assert result.exit_code == 0, result.output
    (hit,) = [json.loads(line) for line in result.output.splitlines()]
    assert hit["story_id"] == "b1" and hit["story_outlets"] == ["AP", "Reuters", "Wion"]
    text = runner.invoke(main, ["search", "Blinken", "--one-per-story", "--entity", "Liu"], env=cli_env)
    assert text.exit_code == 0, text.output
    assert "3 outlet(s), 2 article(s)" not in text.output  # entity filter: b1 and b3 only -> 2 outlets
    assert "2 outlet(s), 2 article(s): AP, Wion" in text.output
    bad = runner.invoke(main, ["search", "x", "--since", "soon"], env=cli_env)
    assert bad.exit_code == 2 and "--since" in bad.output
