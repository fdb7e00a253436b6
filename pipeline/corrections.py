"""Editor corrections of stories, applied by the dedup stage: `wiredesk story merge STORY_A STORY_B` (B's articles
join A) and `wiredesk story split ARTICLE_ID` (the article becomes a story of its own).

The command line sends a `Correction` on the corrections topic; the worker that holds the dedup state applies it
there (`Deduplicator.merge` / `split`), where it binds every later decision, then sends the changed story facts to
the index as `CorrectedStory` messages on the deduped topic, and records what the editor said as labelled pairs
of articles (same story / different stories) for a refit of the thresholds."""

from __future__ import annotations

from typing import Any

from wiredesk.pipeline.dedup import Corrected, Deduplicator
from wiredesk.pipeline.models import CorrectedStory, Correction, CorrectionKind, StoryUpdate


def apply(correction: Correction, deduplicator: Deduplicator) -> Corrected:
    """Apply the correction to the dedup state; a redelivered one returns what it did, changing nothing.
    Raises `CorrectionRefused` if it cannot apply (an unknown story, an article outside the window)."""
    if correction.kind is CorrectionKind.MERGE:
        assert correction.story_a and correction.story_b  # the model requires them
        return deduplicator.merge(correction.story_a, correction.story_b, correction.correction_id)
    assert correction.article_id
    return deduplicator.split(correction.article_id, correction.correction_id)


def index_messages(correction: Correction, corrected: Corrected) -> list[CorrectedStory]:
    """One message per article whose story facts changed, for the index stage."""
    return [
        CorrectedStory(correction_id=correction.correction_id, update=StoryUpdate(article_id=a, dedup=info))
        for a, info in corrected.updates
    ]


def labelled_pairs(correction: Correction, corrected: Corrected) -> list[dict[str, Any]]:
    """The lines of the labelled-pairs file (JSON lines): every pair of indexed articles the correction judged.
    `correction` names the correction, so a reader can drop the repeats an at-least-once redelivery may add."""
    at = correction.at.isoformat()
    return [
        {"a": a, "b": b, "label": label, "by": correction.by, "at": at, "correction": correction.correction_id}
        for label, pairs in (("same", corrected.same), ("different", corrected.different))
        for a, b in pairs
    ]
