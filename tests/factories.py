"""Small model builders for tests that need an article without running the earlier stages."""

from __future__ import annotations

from datetime import UTC, datetime

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
