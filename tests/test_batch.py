"""The index stage's batch: every message leaves with exactly one outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from tests.factories import deduped, enriched
from wiredesk.pipeline.batch import index_batch
from wiredesk.pipeline.index import ItemFate, ItemResult
from wiredesk.pipeline.models import DedupedArticle, DedupInfo, DedupLevel, EnrichedArticle, StoryUpdate


class FakeSink:
    """Accepts everything, except ids in `reject`, and fails the first `busy` calls with 429s."""

    def __init__(self, reject: set[str] = frozenset(), busy: int = 0) -> None:  # type: ignore[assignment]
        self.reject, self.busy = reject, busy
        self.docs: dict[str, dict[str, Any]] = {}
        self.calls: list[list[dict[str, Any]]] = []

    async def write(self, actions: Sequence[dict[str, Any]]) -> list[ItemResult]:
        self.calls.append(list(actions))
        out = []
        for a in actions:
            if a["_id"] in self.reject and a["_index"] == "articles":
                out.append(ItemResult(ItemFate.REJECT, 400, "mapper_parsing_exception: bad"))
            else:
                key = f"{a['_index']}/{a['_id']}"
                if a["_op_type"] == "delete":
                    if self.docs.pop(key, None) is None:
                        out.append(ItemResult(ItemFate.GONE, 404, "not_found"))
                        continue
                elif a["_op_type"] == "update":
                    self.docs[key] = {**self.docs.get(key, {}), **a["doc"]}
                else:
                    self.docs[key] = a["_source"]
                out.append(ItemResult(ItemFate.OK, 200))
        return out


async def fake_enrich(items: Sequence[DedupedArticle]) -> list[EnrichedArticle]:
    if any(i.article.article_id == "poison" for i in items):
        raise ValueError("NER blew up")
    return [enriched(i) for i in items]


def run(payloads: list[bytes], sink: FakeSink) -> tuple[Any, list[tuple[str | None, str]]]:
    letters: list[tuple[str | None, str]] = []

    async def to_dlq(payload: bytes, exc: BaseException, aid: str | None, origin: str | None) -> None:
        letters.append((aid, f"{type(exc).__name__}: {exc}"))

    report = asyncio.run(
        index_batch(
            payloads, enrich=fake_enrich, sink=sink, to_dlq=to_dlq, index_name="articles", outcomes_index="outcomes"
        )
    )
    return report, letters


def msg(item: DedupedArticle) -> bytes:
    return item.model_dump_json().encode()


def outcomes(sink: FakeSink) -> dict[str, str]:
    return {k.split("/")[1]: v["outcome"] for k, v in sink.docs.items() if k.startswith("outcomes/")}


def test_each_message_gets_one_outcome() -> None:
    sink = FakeSink(reject={"bad-doc"})
    payloads = [
        msg(deduped("a1")),
        msg(deduped("copy", level=DedupLevel.EXACT, of="a1")),
        msg(deduped("bad-doc")),
        msg(deduped("poison")),
        b"{not json",
    ]
    report, letters = run(payloads, sink)
    assert (report.indexed, report.duplicates, report.dead_lettered) == (1, 1, 3)
    assert outcomes(sink) == {"a1": "indexed", "copy": "duplicate"}
    assert "articles/copy" not in sink.docs  # an exact copy is counted, not indexed twice
    assert [i.article.article_id for i in report.new_stories] == ["a1"]
    reasons = dict(letters)
    assert "mapper_parsing_exception" in reasons["bad-doc"]
    assert "NER blew up" in reasons["poison"]
    assert reasons[None].startswith("ValidationError")


def test_outcomes_are_written_after_the_articles() -> None:
    sink = FakeSink()
    run([msg(deduped("a1"))], sink)
    assert [c[0]["_index"] for c in sink.calls] == ["articles", "outcomes"]


def test_a_copy_redecided_after_a_crash_loses_the_document_an_earlier_decision_gave_it() -> None:
    # First delivery: "a" was indexed. Redelivered after a crash, its twin "b" came back first, so now
    # "a" is the exact copy: one decision must hold everywhere, the latest.
    sink = FakeSink()
    run([msg(deduped("a"))], sink)
    run([msg(deduped("b")), msg(deduped("a", level=DedupLevel.EXACT, of="b"))], sink)
    assert "articles/a" not in sink.docs and "articles/b" in sink.docs
    assert outcomes(sink) == {"a": "duplicate", "b": "indexed"}
    # A copy that never had a document: the delete finds nothing, which is fine.
    run([msg(deduped("c", level=DedupLevel.EXACT, of="b"))], sink)
    assert outcomes(sink)["c"] == "duplicate"


def test_story_updates_follow_the_article() -> None:
    sink = FakeSink()
    run([msg(deduped("old"))], sink)
    newer = deduped("new").model_copy(
        update={
            "story_updates": (
                StoryUpdate(
                    article_id="old",
                    dedup=DedupInfo(
                        story_id="new",
                        is_canonical=False,
                        duplicate_of="new",
                        level=DedupLevel.REWRITE,
                        fingerprint="fold",
                    ),
                ),
            )
        }
    )
    run([msg(newer)], sink)
    assert sink.docs["articles/old"]["story_id"] == "new"
    assert sink.docs["articles/old"]["dedup"]["duplicate_of"] == "new"
