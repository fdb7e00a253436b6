"""Wire versions: writethrus replace, kills remove, late older versions are ignored — in the decision table, in
dedup's state (including a restart), and in the index stage's batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.test_batch import FakeSink, fake_enrich
from tests.test_dedup import T0, make
from wiredesk.pipeline.batch import index_batch
from wiredesk.pipeline.dedup import Deduplicator
from wiredesk.pipeline.models import (
    CleanedArticle,
    DedupedArticle,
    DedupLevel,
    OutcomeKind,
    PubStatus,
    WireAction,
    WireMeta,
)
from wiredesk.pipeline.versions import Decision, Seen, decide

KILL = PubStatus.CANCELED


def w(version: int | None, status: PubStatus = PubStatus.USABLE) -> WireMeta:
    return WireMeta(input_format="ninjs", guid="urn:test:1", version=version, pub_status=status)


def seen(version: int | None, killed: bool = False) -> Seen:
    return Seen(version=version, killed=killed, seen=0.0)


@pytest.mark.parametrize(
    ("wire", "last", "in_window", "expected"),
    [
        (w(1), None, False, Decision.NEW),
        (w(None), None, True, Decision.REPLAY),  # an unversioned article redelivered
        (w(2), None, True, Decision.UPDATE),  # recorded before versions were: a number replaces it
        (w(1), seen(1), True, Decision.REPLAY),
        (w(2), seen(1), True, Decision.UPDATE),
        (w(1), seen(2), True, Decision.STALE),
        (w(None), seen(2), True, Decision.STALE),
        (w(3, KILL), seen(2), True, Decision.KILL),
        (w(None, KILL), seen(2), True, Decision.KILL),  # kill notices often carry no version
        (w(1, KILL), seen(2), True, Decision.STALE),  # overtaken by a writethru
        (w(3, KILL), seen(3, killed=True), False, Decision.REPLAY),
        (w(2), seen(3, killed=True), False, Decision.STALE),  # the original, late, after its kill
        (w(4), seen(3, killed=True), False, Decision.NEW),  # re-issued after the kill
        (w(1, KILL), None, False, Decision.KILL),  # a kill before (or without) the article
        (w(5), seen(None, killed=True), False, Decision.STALE),  # a kill without a version ends the item
    ],
)
def test_decision_table(wire: WireMeta, last: Seen | None, in_window: bool, expected: Decision) -> None:
    assert decide(wire, last, in_window) is expected


def versioned(article: CleanedArticle, version: int | None, status: PubStatus = PubStatus.USABLE) -> CleanedArticle:
    return article.model_copy(update={"wire": w(version, status)})


def test_writethru_replaces_in_place_and_keeps_its_story(wion: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    first = d.process(versioned(make("item", wion[:3]), 1))
    assert first.action is WireAction.NEW and first.info.level is DedupLevel.UNIQUE
    thru = d.process(versioned(make("item", wion, published=T0 + timedelta(minutes=30)), 2))
    assert thru.action is WireAction.UPDATE
    # Not a duplicate of its own earlier version: the same story, still its canonical.
    assert thru.info.story_id == first.info.story_id and thru.info.is_canonical
    assert thru.info.level is DedupLevel.UNIQUE and thru.info.fingerprint != first.info.fingerprint
    assert len(d) == 1
    # The window compares later articles with the new text: a copy of the writethru is a copy of it.
    later = T0 + timedelta(hours=1)
    copy = d.process(make("copy", wion, title=make("item", wion).title, source="reprint", published=later))
    assert copy.info.level is DedupLevel.EXACT and copy.info.matched == "item"
    # A redelivered writethru gets the same answer; the first version arriving late is ignored.
    assert d.process(versioned(make("item", wion), 2)).action is WireAction.UPDATE
    assert d.process(versioned(make("item", wion[:3]), 1)).action is WireAction.STALE
    # A restart rebuilds the same decisions from the store.
    again = Deduplicator(store)
    assert again.process(versioned(make("item", wion[:3]), 1)).action is WireAction.STALE
    assert again.process(versioned(make("item", wion), 2)).info == thru.info


def test_kill_leaves_the_window_and_hands_the_canonical_on(wion: list[str], other: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    a = d.process(versioned(make("a", wion, title="US' Blinken discusses human rights with Chinese official"), 1))
    b = d.process(make("b", other, title="Antony Blinken", published=T0 + timedelta(hours=3)))
    assert b.info.story_id == a.info.story_id and b.info.duplicate_of == "a"  # the seeds: one story
    kill = d.process(versioned(make("a", ["(killed)"]), 2, KILL))
    assert kill.action is WireAction.KILL and kill.info.story_id == a.info.story_id
    # The other outlet's article is the story's canonical now, and its document is told so.
    assert [(aid, info.is_canonical, info.duplicate_of) for aid, info in kill.updates] == [("b", True, None)]
    assert "a:a" not in store and len(d) == 1
    # A redelivered kill answers the same; the original arriving late stays out.
    assert d.process(versioned(make("a", ["(killed)"]), 2, KILL)).updates == kill.updates
    assert d.process(versioned(make("a", wion), 1)).action is WireAction.STALE
    restarted = Deduplicator(store)
    assert restarted.process(versioned(make("a", wion), 1)).action is WireAction.STALE
    # The kill record is forgotten with the window, like an article.
    assert restarted.evict(T0 + timedelta(days=30)) == 1 and not any(k.startswith("v:") for k in store)


def test_kill_of_an_unseen_item_is_recorded(wion: list[str]) -> None:
    d = Deduplicator({})
    kill = d.process(versioned(make("x", ["(killed)"]), None, PubStatus.WITHHELD))
    assert kill.action is WireAction.KILL and kill.updates == ()
    assert d.process(versioned(make("x", wion), 1)).action is WireAction.STALE


def _item(aid: str, action: WireAction, status: PubStatus = PubStatus.USABLE, version: int = 1) -> bytes:
    from tests.factories import deduped

    item = deduped(aid)
    article = item.article.model_copy(update={"wire": w(version, status)})
    return DedupedArticle(article=article, dedup=item.dedup, action=action).model_dump_json().encode()


def test_index_batch_applies_versions() -> None:
    sink = FakeSink()
    letters: list[object] = []

    async def to_dlq(*args: object) -> None:
        letters.append(args)

    async def batch(payloads: list[bytes]):  # type: ignore[no-untyped-def]
        return await index_batch(
            payloads, enrich=fake_enrich, sink=sink, to_dlq=to_dlq, index_name="articles", outcomes_index="outcomes"
        )

    first = asyncio.run(batch([_item("a", WireAction.NEW), _item("b", WireAction.NEW)]))
    assert first.indexed == 2 and len(first.new_stories) == 2
    report = asyncio.run(
        batch(
            [
                _item("a", WireAction.UPDATE, version=2),
                _item("b", WireAction.KILL, KILL, 2),
                _item("a", WireAction.STALE),
            ]
        )
    )
    assert (report.indexed, report.updated, report.stale, len(report.killed)) == (1, 1, 1, 1)
    assert report.new_stories == []  # a writethru is no new story: alerts saw the first version
    assert sink.docs["articles/a"]["wire"]["version"] == 2 and "articles/b" not in sink.docs
    assert sink.docs["outcomes/a"]["outcome"] == OutcomeKind.INDEXED
    killed = sink.docs["outcomes/b"]
    assert killed["outcome"] == OutcomeKind.KILLED and killed["reason"].startswith("pubStatus canceled, version 2")
    assert letters == []
