"""One function per agent, from the message it reads to the message it writes. The worker's agents
(connectors/app.py), the benchmarks and the scripts call these, so what is measured is what runs. The index
agent's step is `pipeline.batch.index_batch` (enrich runs inside it, in the NER process)."""

from __future__ import annotations

from wiredesk.pipeline import encoder as enc
from wiredesk.pipeline.clean import clean
from wiredesk.pipeline.dedup import Deduplicator, dedup, head_vector
from wiredesk.pipeline.learned import LineMemory, strip_learned
from wiredesk.pipeline.models import CleanedArticle, DedupedArticle, RawArticle, StoryUpdate


def clean_step(payload: bytes) -> CleanedArticle:
    """The clean agent: parse, clean, and the head vector dedup compares. The vector is computed here, not in
    dedup: this stage is spread over every worker, the dedup stream is one."""
    cleaned = clean(RawArticle.model_validate_json(payload))
    if cleaned.wire.is_kill:
        return cleaned  # nothing to compare: dedup only takes it out of the window
    return cleaned.model_copy(update={"head_vector": head_vector(cleaned, enc.load())})


def dedup_step(payload: bytes, deduplicator: Deduplicator, learned: LineMemory | None) -> DedupedArticle:
    """The dedup agent: learned lines out (when `learned` is given), then the story. Learned lines are removed
    here, not in the clean stage, because this is the one place that sees every article of a source in order
    (`cleaned` has one partition, so one table can hold per-source counts); the stripped article is what dedup
    compares and what goes on to the index."""
    article = CleanedArticle.model_validate_json(payload)
    if learned is not None and not article.wire.is_kill:
        article = strip_learned(article, learned)
    result = dedup(article, deduplicator)
    return DedupedArticle(
        article=article.model_copy(update={"head_vector": None}),  # dedup's alone: 1 KB less per message
        dedup=result.info,
        story_updates=tuple(StoryUpdate(article_id=a, dedup=d) for a, d in result.updates),
        action=result.action,
    )
