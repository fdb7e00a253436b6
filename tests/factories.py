"""Small model builders for tests that need an article without running the earlier stages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from wiredesk.pipeline.models import (
    Block,
    BlockKind,
    CleanedArticle,
    DedupedArticle,
    DedupInfo,
    DedupLevel,
    EnrichedArticle,
    Entity,
    RemovedLine,
    Tag,
)

T0 = datetime(2024, 1, 12, 18, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NOT_REPORTING = ("•", "WATCH", "ALSO READ", "Also read", "(With inputs")
# The next day's story after the seeds' one: it repeats a quote and the cast, but reports a new development.
FOLLOW_UP = [
    "A day after Taiwan's election, US Secretary of State Antony Blinken congratulated Lai Ching-te on his "
    "victory and said Washington would send a delegation of former officials to Taipei.",
    "China's foreign ministry said it lodged a protest with the United States over the statement.",
    "On Friday Blinken had met Liu Jianchao in Washington, where, according to spokesman Matthew Miller, "
    "“The Secretary reiterated the importance of maintaining peace and stability across the Taiwan Strait "
    "and in the South China Sea.”",
    "The delegation will include former national security adviser Stephen Hadley and former deputy "
    "secretary of state James Steinberg, the State Department said.",
]


def seed_paragraphs(name: str) -> list[str]:
    """The reporting paragraphs of a seed: no navigation, promos, kickers or sub-headings (short lines without a
    stop)."""
    lines = [ln.strip() for ln in (SEEDS / name).read_text(encoding="utf-8").splitlines()]
    return [
        ln
        for ln in lines
        if ln and not ln.startswith(NOT_REPORTING) and (len(ln.split()) >= 8 or ln.endswith((".", "”", '"')))
    ]


def cleaned(article_id: str = "a1", body: str = "Antony Blinken met Liu Jianchao in Washington.") -> CleanedArticle:
    return CleanedArticle(
        article_id=article_id,
        origin=f"seeds/{article_id}.txt",
        source="Wion",
        received_at=T0,
        published_at=T0,
        title="Blinken meets Liu",
        blocks=(Block(kind=BlockKind.HEADING, text="Talks"), Block(text=body)),
        removed=(RemovedLine(text="WATCH | video", rule="promo"),),
    )


def deduped(article_id: str = "a1", level: DedupLevel = DedupLevel.UNIQUE, of: str | None = None) -> DedupedArticle:
    return DedupedArticle(
        article=cleaned(article_id),
        dedup=DedupInfo(
            story_id=of or article_id,
            is_canonical=of is None,
            duplicate_of=of,
            level=level,
            fingerprint="f" + article_id,
        ),
    )


def enriched(item: DedupedArticle) -> EnrichedArticle:
    return EnrichedArticle(
        article=item.article,
        dedup=item.dedup,
        entities=(
            Entity(
                name="Antony Blinken",
                label="PERSON",
                mentions=2,
                first_position=0,
                salient=True,
                role="Secretary of State",
            ),
            Entity(name="United States", label="GPE", mentions=1, first_position=40, salient=False, code="US"),
        ),
        tags=(Tag(name="diplomacy", evidence=("met", "secretary of state")),),
    )
