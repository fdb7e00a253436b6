"""Stories in event time and editor corrections: a backfill forms the stories it formed live, the window follows
the watermark, and an editor's merge or split survives later articles and a restart."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.factories import FOLLOW_UP
from tests.test_dedup import (
    MATCH_1,
    MATCH_2,
    T0,
    TAIWAN_1,
    TAIWAN_2,
    WEATHER_1,
    WEATHER_2,
    _near_variants,
    make,
)
from wiredesk.pipeline.dedup import DedupConfig, Deduplicator
from wiredesk.pipeline.models import CleanedArticle, DedupLevel

WION_TITLE = "US' Blinken discusses human rights with Chinese official"


def ten_days(wion: list[str], other: list[str]) -> list[tuple[str, list[str], str, str, timedelta]]:
    """(id, paragraphs, title, source, published after T0): copies, a rewrite, look-alikes and re-publications."""
    h = timedelta(hours=1)
    return [
        ("wion", wion, WION_TITLE, "wion", 0 * h),
        ("other", other, "Antony Blinken", "other", 3 * h),  # the seeds' rewrite
        ("near", _near_variants(wion)["boilerplate"], "", "reprint", 5 * h),
        ("taiwan1", TAIWAN_1, "", "x", 24 * h),
        ("taiwan2", TAIWAN_2, "", "x", 44 * h),
        ("match1", MATCH_1, "", "y", 48 * h),
        ("match2", MATCH_2, "", "y", 72 * h),
        # The seed re-published word for word five days on: live, the original had left the window long before.
        ("wion-again", wion, WION_TITLE, "late", 120 * h),
        ("weather1", WEATHER_1, "", "z", 144 * h),
        ("weather2", WEATHER_2, "", "z", 168 * h),
        ("match1-again", MATCH_1, "", "y2", 216 * h),
        ("weather2-copy", _near_variants(WEATHER_2)["boilerplate"], "", "z2", 228 * h),
    ]


def _articles(wion: list[str], other: list[str], received: list[datetime] | None) -> list[CleanedArticle]:
    out = []
    for i, (aid, paras, title, source, after) in enumerate(ten_days(wion, other)):
        at = received[i] if received else None
        out.append(make(aid, paras, title=title, source=source, published=T0 + after, received=at))
    return out


def test_backfill_forms_the_stories_it_formed_live(wion: list[str], other: list[str]) -> None:
    # Live: each article arrives 5 minutes after publication and the window is evicted as time goes by.
    live_store: dict[str, str] = {}
    live = Deduplicator(live_store)
    live_results = {}
    for article in _articles(wion, other, None):
        live_results[article.article_id] = live.process(article)
        assert article.published_at is not None
        live.evict(article.published_at)
    # Backfill: the same ten days, read a month later in one burst, with no eviction call at all.
    burst_at = T0 + timedelta(days=40)
    burst_store: dict[str, str] = {}
    burst = Deduplicator(burst_store)
    arrivals = [burst_at + timedelta(seconds=i) for i in range(len(ten_days(wion, other)))]
    burst_results = {a.article_id: burst.process(a) for a in _articles(wion, other, arrivals)}

    assert {k: r.info for k, r in burst_results.items()} == {k: r.info for k, r in live_results.items()}
    assert burst_store == live_store and burst.watermark == live.watermark == T0 + timedelta(hours=228)
    story = {k: r.info.story_id for k, r in live_results.items()}
    assert story["other"] == story["near"] == story["wion"]
    assert story["weather2-copy"] == story["weather2"]
    # Re-publications beyond the window start new stories, in the backfill as live.
    for again, first in (("wion-again", "wion"), ("match1-again", "match1")):
        assert live_results[again].info.level is DedupLevel.UNIQUE and story[again] != story[first]


def test_window_follows_the_watermark(wion: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    d.process(make("a", TAIWAN_1, published=T0))
    d.process(make("b", MATCH_1, published=T0 + timedelta(days=1)))
    assert d.watermark == T0 + timedelta(days=1) and len(d) == 2
    # 80 h after the first: it is older than the 72 h window relative to the watermark, and goes.
    d.process(make("c", WEATHER_1, published=T0 + timedelta(hours=80)))
    assert d.watermark == T0 + timedelta(hours=80)
    assert "a:a" not in store and {"a:b", "a:c"} <= set(store) and len(d) == 2
    # A publication time two days after the article's own arrival is not believed: the watermark stays, and the
    # article takes the watermark's time (it would otherwise evict "b" and stay in the window for days).
    arrival = T0 + timedelta(hours=81)
    d.process(make("future", wion, published=arrival + timedelta(days=2), received=arrival))
    assert d.watermark == T0 + timedelta(hours=80) and "a:b" in store
    # Minutes ahead of the arrival is clock skew, believed.
    d.process(make("skewed", WEATHER_2, published=arrival + timedelta(minutes=10), received=arrival))
    assert d.watermark == arrival + timedelta(minutes=10)
    # A restart derives the same watermark from the records.
    assert Deduplicator(store).watermark == d.watermark
    # An article already older than the window when it arrives is decided, then leaves with the next article.
    d.process(make("late", MATCH_2, published=T0 - timedelta(days=3), received=arrival))
    assert "a:late" in store
    d.process(make("next", TAIWAN_2, published=arrival + timedelta(minutes=11), received=arrival))
    assert "a:late" not in store and "a:b" in store


# ------------------------------------------------------------------------------------------- corrections


def _seeds(d: Deduplicator, wion: list[str], other: list[str]) -> str:
    a = d.process(make("wion", wion, title=WION_TITLE, source="wion"))
    b = d.process(make("other", other, title="Antony Blinken", source="other", published=T0 + timedelta(hours=3)))
    assert b.info.story_id == a.info.story_id and b.info.level is DedupLevel.REWRITE  # the seeds: one story
    return a.info.story_id


def _bridge(other: list[str]) -> CleanedArticle:
    """A reprint of the second seed: a near copy of it, and a rewrite of the first seed like the second is."""
    return make("bridge", _near_variants(other)["boilerplate"], source="reprint", published=T0 + timedelta(hours=4))


def test_a_later_article_does_not_undo_a_split(wion: list[str], other: list[str]) -> None:
    # Without a correction the reprint links both seeds.
    control = Deduplicator({})
    _seeds(control, wion, other)
    assert {t for t, _ in control.process(_bridge(other)).links} == {"wion", "other"}

    store: dict[str, str] = {}
    d = Deduplicator(store)
    story = _seeds(d, wion, other)
    done = d.split("other", "c1")
    (moved,) = done.updates
    assert moved[0] == "other" and moved[1].story_id not in (story, None)
    assert moved[1].is_canonical and moved[1].level is DedupLevel.UNIQUE and moved[1].duplicate_of is None
    assert done.different == (("other", "wion"),) and done.same == ()
    assert d.info("wion") is not None and d.info("wion").story_id == story  # type: ignore[union-attr]
    snapshot = dict(store)
    restarted = Deduplicator(dict(store))
    for dd in (d, restarted):  # live, and after a restart rebuilt from the store
        r = dd.process(_bridge(other))
        # It joins the story of its strongest link (it is a copy of "other"), and never brings "wion" back.
        assert r.info.story_id == moved[1].story_id and r.info.level is DedupLevel.NEAR
        assert r.updates == () and dd.info("wion").story_id == story  # type: ignore[union-attr]
        assert {t for t, _ in r.links} == {"other"}
    # A redelivered correction changes nothing and answers the same.
    assert Deduplicator(snapshot).split("other", "c1") == done


def test_split_of_the_canonical_hands_the_role_on(wion: list[str], other: list[str]) -> None:
    d = Deduplicator({})
    story = _seeds(d, wion, other)
    done = d.split("wion", "c2")
    infos = dict(done.updates)
    assert infos["wion"].story_id != story and infos["wion"].is_canonical
    assert infos["other"].story_id == story and infos["other"].is_canonical and infos["other"].duplicate_of is None


def test_merge_joins_the_stories_and_later_articles_follow(wion: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    t1 = d.process(make("t1", TAIWAN_1, source="x"))
    t2 = d.process(make("t2", TAIWAN_2, source="x", published=T0 + timedelta(hours=20)))
    assert t1.info.story_id != t2.info.story_id
    done = d.merge(t1.info.story_id, t2.info.story_id, "c3")
    ((aid, info),) = done.updates
    assert aid == "t2" and info.story_id == t1.info.story_id and info.duplicate_of == "t1"
    assert not info.is_canonical and info.level is DedupLevel.EDITOR
    assert done.same == (("t1", "t2"),) and f"s:{t2.info.story_id}" not in store
    copy = make("t2-copy", _near_variants(TAIWAN_2)["boilerplate"], source="y", published=T0 + timedelta(hours=21))
    for dd in (Deduplicator(dict(store)), d):  # after a restart, and live
        later = dd.process(copy)  # a later article of B goes to A
        assert later.info.story_id == t1.info.story_id and later.info.matched == "t2"
    assert d.merge(t1.info.story_id, t2.info.story_id, "c3") == done  # redelivered: the same, nothing changes


def test_merge_into_the_later_story_keeps_the_earlier_canonical() -> None:
    d = Deduplicator({})
    t1 = d.process(make("t1", TAIWAN_1, source="x"))
    t2 = d.process(make("t2", TAIWAN_2, source="x", published=T0 + timedelta(hours=20)))
    infos = dict(d.merge(t2.info.story_id, t1.info.story_id, "c4").updates)
    assert {a: (i.story_id, i.is_canonical, i.level) for a, i in infos.items()} == {
        "t1": (t2.info.story_id, True, DedupLevel.UNIQUE),
        "t2": (t2.info.story_id, False, DedupLevel.EDITOR),
    }
    assert infos["t2"].duplicate_of == "t1"


def test_merge_after_a_split_lifts_it(wion: list[str], other: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    story = _seeds(d, wion, other)
    split = d.split("other", "c5").updates[0][1].story_id
    back = d.merge(story, split, "c6")
    assert [(a, i.story_id) for a, i in back.updates] == [("other", story)]
    r = Deduplicator(dict(store)).process(_bridge(other))
    assert r.info.story_id == story and {t for t, _ in r.links} == {"wion", "other"}


def test_refused_corrections_change_nothing(wion: list[str], other: list[str]) -> None:
    from wiredesk.pipeline.errors import CorrectionRefused

    store: dict[str, str] = {}
    d = Deduplicator(store)
    story = _seeds(d, wion, other)
    d.process(make("copy", wion, title=WION_TITLE, source="copy", published=T0 + timedelta(hours=1)))
    solo = d.process(make("t1", TAIWAN_1, source="x")).info.story_id
    snapshot = dict(store)
    for attempt, reason in [
        (lambda: d.merge(story, "st-nope", "c7"), "story st-nope has no article in the dedup window"),
        (lambda: d.merge(story, story, "c8"), "the same story"),
        (lambda: d.split("nope", "c9"), "article nope is not in the dedup window"),
        (lambda: d.split("copy", "c10"), "exact copy"),
        (lambda: d.split("t1", "c11"), re.escape(f"already a story of its own ({solo})")),
    ]:
        with pytest.raises(CorrectionRefused, match=reason):
            attempt()
    assert store == snapshot


def test_split_carries_exact_copies_and_leaves_with_the_window(wion: list[str], other: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    _seeds(d, wion, other)
    d.process(make("copy", other, title="Antony Blinken", source="copy", published=T0 + timedelta(hours=4)))
    done = d.split("other", "c12")
    new = dict(done.updates)["other"].story_id
    assert d.info("copy").story_id == new  # type: ignore[union-attr]
    assert done.different == (("other", "wion"),)  # the copy has no document: no label
    d.process(make("much-later", TAIWAN_1, published=T0 + timedelta(days=5)))
    assert not any(k.startswith("c:") for k in store) and d._apart == {}


def test_labelled_pairs_name_the_correction() -> None:
    from wiredesk.pipeline.corrections import index_messages, labelled_pairs
    from wiredesk.pipeline.dedup import Corrected
    from wiredesk.pipeline.models import Correction, CorrectionKind

    c = Correction(kind=CorrectionKind.SPLIT, article_id="x", correction_id="c13", at=T0)
    done = Corrected(different=(("x", "y"),))
    assert labelled_pairs(c, done) == [
        {"a": "x", "b": "y", "label": "different", "by": "editor", "at": T0.isoformat(), "correction": "c13"}
    ]
    assert index_messages(c, done) == []
    with pytest.raises(ValueError, match="a merge names two stories"):
        Correction(kind=CorrectionKind.MERGE, story_a="s")


def test_index_batch_applies_a_correction_after_the_document() -> None:
    from tests.factories import deduped
    from tests.test_batch import FakeSink, run
    from wiredesk.pipeline.models import CorrectedStory, DedupInfo, StoryUpdate

    sink = FakeSink()
    moved = DedupInfo(story_id="st-x-c14", is_canonical=True, fingerprint="fx")
    correction = CorrectedStory(correction_id="c14", update=StoryUpdate(article_id="x", dedup=moved))
    # The article's own message and its correction in one batch, in partition order.
    report, letters = run(
        [deduped("x", of="st-old").model_dump_json().encode(), correction.model_dump_json().encode()], sink
    )
    assert letters == [] and report.indexed == 1 and report.corrected == 1
    assert sink.docs["articles/x"]["story_id"] == "st-x-c14" and sink.docs["articles/x"]["dedup"]["is_canonical"]
    assert "outcomes/c14" not in sink.docs  # a correction is no article: no outcome of its own
    # Neither message: dead-lettered with the reason.
    _, letters = run([b'{"correction_id": "c15"}'], sink)
    assert len(letters) == 1 and "update" in letters[0][1]


def test_labelled_pairs_file_is_written_once_per_correction(tmp_path: Path) -> None:
    from wiredesk.connectors.corrections import append_labels

    path = tmp_path / "labels" / "pairs.jsonl"
    line = {"a": "x", "b": "y", "label": "same", "by": "editor", "at": T0.isoformat(), "correction": "c16"}
    assert append_labels(path, "c16", [line]) == 1
    assert append_labels(path, "c16", [line]) == 0  # redelivered
    assert append_labels(path, "c17", [line | {"correction": "c17"}]) == 1
    assert [json.loads(x)["correction"] for x in path.read_text().splitlines()] == ["c16", "c17"]


def test_a_split_lasts_as_long_as_its_articles(wion: list[str], other: list[str]) -> None:
    from wiredesk.pipeline.models import WireMeta

    def v(article: CleanedArticle, version: int) -> CleanedArticle:
        return article.model_copy(update={"wire": WireMeta(guid=article.article_id, version=version)})

    store: dict[str, str] = {}
    d = Deduplicator(store)
    d.process(v(make("wion", wion, title=WION_TITLE, source="wion"), 1))
    d.process(v(make("other", other, title="Antony Blinken", source="other", published=T0 + timedelta(hours=3)), 1))
    d.split("other", "c18")
    # A writethru of the split article two days on keeps it in the window longer than the split's own time.
    d.process(v(make("other", other[:-1], title="Antony Blinken", published=T0 + timedelta(hours=40)), 2))
    d.process(make("t1", TAIWAN_1, published=T0 + timedelta(hours=76)))
    assert "c:c18" in store and "a:other" in store and "a:wion" not in store
    d.process(make("t2", TAIWAN_2, published=T0 + timedelta(hours=113)))
    assert "c:c18" not in store and "a:other" not in store


# ------------------------------------------------------------------------------------------------ storylines


def test_a_follow_up_is_another_story_of_the_same_storyline(wion: list[str]) -> None:
    store: dict[str, str] = {}
    d = Deduplicator(store)
    fri = d.process(make("fri", wion, title=WION_TITLE, published=T0))
    assert fri.info.storyline_id == "sl-fri"  # a story that joins none starts a storyline of its own
    sun = d.process(make("sun", FOLLOW_UP, published=T0 + timedelta(hours=30)))
    assert sun.info.story_id != fri.info.story_id and sun.info.storyline_id == "sl-fri"
    match = d.process(make("match", MATCH_1, published=T0 + timedelta(hours=31)))
    assert match.info.storyline_id == "sl-match"
    # A copy joins the story, and with it the storyline; a restart keeps both.
    copy = Deduplicator(store).process(make("copy", FOLLOW_UP, source="y", published=T0 + timedelta(hours=32)))
    assert copy.info.story_id == sun.info.story_id and copy.info.storyline_id == "sl-fri"


def test_a_storyline_takes_new_stories_for_a_while_only(wion: list[str]) -> None:
    d = Deduplicator({}, DedupConfig(storyline_hours=24))
    d.process(make("fri", wion, title=WION_TITLE, published=T0))
    sun = d.process(make("sun", FOLLOW_UP, published=T0 + timedelta(hours=30)))
    assert sun.info.storyline_id == "sl-sun"  # 30 h after the storyline began: a saga, not its development


def test_one_outlets_items_are_judged_by_their_own_thresholds(wion: list[str]) -> None:
    # The follow-up and the first story from one outlet: cosine 0.56, names 0.36.
    for config, joins in ((DedupConfig(), True), (DedupConfig(storyline_same_source_cos=0.6), False)):
        d = Deduplicator({}, config)
        d.process(make("fri", wion, title=WION_TITLE, source="wion", published=T0))
        sun = d.process(make("sun", FOLLOW_UP, source="wion", published=T0 + timedelta(hours=30)))
        assert sun.info.story_id == "st-sun" and (sun.info.storyline_id == "sl-fri") is joins


def test_corrections_keep_storylines(wion: list[str], other: list[str]) -> None:
    # Storylines only by a close vector here, so that the later Taiwan story starts one of its own.
    d = Deduplicator({}, DedupConfig(storyline_cos=0.95))
    story = _seeds(d, wion, other)
    t1 = d.process(make("t1", TAIWAN_1, source="x", published=T0 + timedelta(hours=50)))
    assert t1.info.storyline_id == "sl-t1"
    # Split off: a development of its own, in the same storyline.
    split = dict(d.split("other", "c19").updates)["other"]
    assert split.story_id != story and split.storyline_id == "sl-wion"
    # Merged: the articles take the surviving story's storyline.
    merged = dict(d.merge(story, t1.info.story_id, "c20").updates)["t1"]
    assert merged.story_id == story and merged.storyline_id == "sl-wion"
