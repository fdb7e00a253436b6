"""The cross-outlet rewrite decision: one logistic model over the pair's evidence, instead of a cascade of thresholds.

A cascade of hand thresholds (quote or no quote, same day or next, vector or words) put many decisions on knife
edges that were chosen on one label set and did not carry over to pairs outside it. One smooth score over the same
evidence trades the signals against each other (a close sentence vector makes up for headlines in other words; a
shared quote does not rescue a lead about something else), and its weights and threshold are fitted by
cross-validation grouped by story (scripts/fit_rewrite.py), so what is reported was not tuned on.

The fitted numbers live in `rewrite_model.json` beside this module, with how they were fitted and their
cross-validated and held-out figures; a refit rewrites that file and nothing else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

MODEL_PATH = Path(__file__).with_name("rewrite_model.json")

# How each model input is made from the stage's evidence (`Deduplicator._evidence`). Square roots of the word
# overlaps: a pair's first shared distinctive word says more than its tenth. Shared quotes count up to 2: a third
# adds nothing the second did not (the interview is the same).
TRANSFORMS: dict[str, Callable[[Mapping[str, float]], float]] = {
    "cos": lambda ev: ev["cos"],
    "names": lambda ev: ev["names"],
    "names_min": lambda ev: ev["names_min"],
    "head": lambda ev: math.sqrt(ev["head"]),
    "title": lambda ev: math.sqrt(ev["title"]),
    "lead": lambda ev: ev["lead"],
    "body": lambda ev: math.sqrt(ev["body"]),
    "quotes": lambda ev: min(ev["shared_quotes"], 2.0),
    "late": lambda ev: ev["late"],
}


class RewriteModel(BaseModel):
    """Standardised inputs, weights, and the two decision thresholds (on the logit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    # A pair at or above `threshold` is a rewrite link.
    threshold: float
    # Two stories an article links to merge only if a link into the second reaches this (see DedupConfig).
    merge_threshold: float
    fitted: dict[str, object] = {}

    def logit(self, evidence: Mapping[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += w * (TRANSFORMS[name](evidence) - mu) / sd
        return z


@cache
def load(path: Path = MODEL_PATH) -> RewriteModel:
    return RewriteModel.model_validate(json.loads(path.read_text(encoding="utf-8")))
