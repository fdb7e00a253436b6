"""Stories in event time and editor corrections: a backfill forms the stories it formed live, the window follows
the watermark, and an editor's merge or split survives later articles and a restart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.dedup import Deduplicator
from pipeline.models import CleanedArticle, DedupLevel
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
    seed_paragraphs,
)

WION_TITLE = "US' Blinken discusses human rights with Chinese official"


@pytest.fixture(scope="module")
def wion() -> list[str]:
    return seed_paragraphs("000_88e60c92ae50af0c.txt")[1:]


@pytest.fixture(scope="module")
def other() -> list[str]:
    return seed_paragraphs("002_d9abfc66759522b5.txt")


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
