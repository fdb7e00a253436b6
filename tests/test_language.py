"""Language: detection (py3langid), the stated language, short English urgents through enrich and the shipped
alert rules, and non-English articles in the index (per-language analysers) and in search."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from spacy.language import Language

from tests.conftest import ROOT
from tests.factories import T0
from wiredesk.connectors.alerter import load_rules
from wiredesk.connectors.elastic import SearchSink, sync_client
from wiredesk.connectors.search import search_articles
from wiredesk.pipeline.alerts import evaluation_query, matched_rules
from wiredesk.pipeline.clean import clean
from wiredesk.pipeline.enrich import enrich, load_nlp
from wiredesk.pipeline.index import ARTICLE_MAPPING, I18N_FIELDS, LANGUAGE_ANALYZERS, index_action, to_document
from wiredesk.pipeline.language import NEWS_LANGUAGES, article_language, detect_language, normalise_language
from wiredesk.pipeline.models import (
    Block,
    CleanedArticle,
    DedupedArticle,
    DedupInfo,
    DedupLevel,
    EnrichedArticle,
    RawArticle,
    WireMeta,
)
from wiredesk.pipeline.settings import Settings

# Urgents as wires send them: a headline and one sentence, 8-20 words, from different desks. The last field is
# the topic tag the enrich stage must give (None: the item names no topic of pipeline/topics.toml).
URGENTS = [
    ("URGENT: Russia and Ukraine agree ceasefire", "Kremlin says.", "conflict"),
    ("BREAKING: Blinken to meet Wang Yi in Beijing", "The State Department announced the visit.", "diplomacy"),
    ("URGENT: EU foreign ministers agree new sanctions on Iran", "Diplomats in Brussels said.", "diplomacy"),
    ("URGENT: Olaf Scholz loses confidence vote", "Germany heads for an early election in February.", "elections"),
    ("BREAKING: Microsoft to buy Activision Blizzard", "The deal is worth $69 billion in cash.", None),
    ("FLASH: Fed raises rates by a quarter point", "Jerome Powell says more increases are possible.", None),
    ("URGENT: Lionel Messi joins Inter Miami", "The club announced a two-year contract on Wednesday.", None),
    ("BREAKING: WHO declares mpox a global emergency", "Tedros Adhanom Ghebreyesus told reporters in Geneva.", None),
    ("URGENT: Magnitude 7.8 earthquake hits southern Turkey", "USGS says the quake struck near Gaziantep.", None),
    ("URGENT: Supreme Court blocks Texas immigration law", "The ruling came late on Tuesday in Washington.", None),
    ("FLASH: Israeli air strikes hit Gaza City", "Hamas officials say dozens of people were killed.", "conflict"),
    ("URGENT: OPEC+ agrees to cut oil output", "Saudi Arabia and Russia back the cut from November.", None),
    ("BREAKING: NASA delays Artemis launch from Kennedy Space Center", "A new date is Monday.", None),
]

# Non-English texts, a short urgent and a longer sentence for each language.
FOREIGN = [
    ("de", "EIL: Bundesregierung beschließt Tempolimit auf Autobahnen"),
    (
        "de",
        "Die Bundesregierung hat am Montag beschlossen, dass die neuen Regeln für alle Unternehmen gelten, die mehr "
        "als fünfzig Mitarbeiter haben.",
    ),
    ("fr", "URGENT : le Premier ministre présente la démission de son gouvernement"),
    (
        "fr",
        "Le gouvernement a annoncé lundi que les nouvelles règles seront appliquées dans toutes les entreprises qui "
        "ont plus de cinquante salariés.",
    ),
    ("es", "ÚLTIMA HORA: El Gobierno aprueba la subida del salario mínimo"),
    ("es", "El gobierno anunció el lunes que las nuevas normas se aplicarán en todas las empresas del país."),
    ("it", "ULTIM'ORA: il governo approva la manovra finanziaria"),
    ("it", "Il governo ha annunciato lunedì che le nuove regole saranno applicate in tutte le aziende."),
    ("pt", "URGENTE: Governo anuncia aumento do salário mínimo para o próximo ano"),
    ("pt", "O governo anunciou na segunda-feira que as novas regras serão aplicadas em todas as empresas."),
    ("nl", "Kabinet valt na ruzie over migratiebeleid"),
    ("nl", "De regering heeft maandag aangekondigd dat de nieuwe regels gelden voor alle bedrijven."),
    ("ru", "СРОЧНО: Россия и Украина договорились о прекращении огня"),
    ("ru", "Правительство объявило в понедельник, что новые правила будут применяться ко всем компаниям."),
    ("ar", "عاجل: روسيا وأوكرانيا تتفقان على وقف إطلاق النار"),
    ("ar", "أعلنت الحكومة يوم الاثنين أن القواعد الجديدة ستطبق على جميع الشركات التي يعمل فيها أكثر من خمسين موظفا."),
    ("zh", "快讯：俄罗斯和乌克兰同意停火"),
    ("zh", "政府周一宣布，新规定将适用于所有员工超过五十人的公司。"),
    ("ja", "速報：ロシアとウクライナが停戦で合意"),
    ("ja", "政府は月曜日、新しい規則を発表しました。"),
    (
        "pl",
        "Rząd ogłosił w poniedziałek, że nowe przepisy będą obowiązywać wszystkie firmy zatrudniające ponad "
        "pięćdziesięciu pracowników.",
    ),
]

GERMAN_BODY = (
    "Die Bundesregierung hat am Montag neue Regeln für die Wahlen im Herbst beschlossen. Die Regierungen der "
    "Länder sollen die Vorschläge bis Ende des Monats prüfen, sagte ein Sprecher in Berlin."
)
FRENCH_BODY = (
    "Le gouvernement a annoncé lundi de nouvelles règles pour les élections municipales. Les ministres se "
    "réuniront mardi à Paris pour en discuter, a déclaré un porte-parole."
)
ENGLISH_BODY = "Antony Blinken met Wang Yi in Beijing on Monday for talks, the State Department said."


def article(aid: str, title: str, body: str, language: str | None = None) -> CleanedArticle:
    return CleanedArticle(
        article_id=aid,
        origin=f"test:{aid}",
        source="Wire",
        received_at=T0,
        published_at=T0,
        title=title,
        blocks=(Block(text=body),),
        wire=WireMeta(input_format="ninjs", language=language),
    )


def deduped(a: CleanedArticle) -> DedupedArticle:
    info = DedupInfo(story_id=a.article_id, is_canonical=True, level=DedupLevel.UNIQUE, fingerprint="f")
    return DedupedArticle(article=a, dedup=info)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp()


# ---------------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(("title", "body", "topic"), URGENTS)
def test_short_english_urgents_are_english(title: str, body: str, topic: str | None) -> None:
    words = len(f"{title} {body}".split())
    assert 8 <= words <= 20, words
    assert detect_language(f"{title}\n\n{body}") == "en"


@pytest.mark.parametrize(("lang", "text"), FOREIGN)
def test_non_english_texts(lang: str, text: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("", "xx"),
        ("12345 -- 678/90 ###", "xx"),  # no letters
        ("View Comments", "xx"),  # the model is unsure and English is not plausible enough
        ("Piracy in Nigeria", "en"),  # unsure (Igbo 0.46), but English keeps a fair share: the feed's language
        ("URGENT RUSSIA AND UKRAINE AGREE CEASEFIRE, KREMLIN SAYS", "en"),  # all capitals
    ],
)
def test_short_junk_and_unsure_text(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("de-CH", "de"),
        ("pt_BR", "pt"),
        ("DE", "de"),
        ("deu", "de"),  # ISO 639-2/T
        ("ger", "de"),  # ISO 639-2/B
        ("ckb", "ckb"),  # Sorani has no two-letter code
        ("zh-Hant-TW", "zh"),
        ("und", None),
        ("mul", None),
        ("", None),
        (None, None),
        ("x-klingon", None),
    ],
)
def test_normalise_stated_language(stated: str | None, expected: str | None) -> None:
    assert normalise_language(stated) == expected


def test_stated_language_wins_over_detection() -> None:
    assert article_language("de-CH", ENGLISH_BODY) == "de"
    assert article_language(None, ENGLISH_BODY) == "en"
    assert article_language("und", GERMAN_BODY) == "de"  # "undetermined" says nothing: detect


def test_news_languages_are_known_to_the_model() -> None:
    """set_languages raises on an unknown code; and every language with an analyzer can be detected, bar those
    the model does not know (Sorani) and the Norwegian variants (the model says "no")."""
    assert detect_language("Die Regierung tritt zurück, sagte der Sprecher am Montag in Berlin.") == "de"
    assert set(LANGUAGE_ANALYZERS) - NEWS_LANGUAGES == {"ckb", "nb", "nn"}


# ---------------------------------------------------------------------------------------------- enrich


def test_urgents_get_entities_tags_and_fire_the_shipped_rule(nlp: Language) -> None:
    """From the raw item on: the clean stage keeps a one-sentence item whole (nothing there needs a length)."""
    raws = [
        RawArticle(article_id=f"u{i}", origin="test", text=body, title=title)
        for i, (title, body, _) in enumerate(URGENTS)
    ]
    cleaned = [clean(raw) for raw in raws]
    assert [(c.title, c.body) for c in cleaned] == [(title, body) for title, body, _ in URGENTS]
    items = [deduped(c) for c in cleaned]
    out = enrich(items, nlp)
    rules = load_rules(ROOT / "alerts.yml")
    (diplomatic,) = [r for r in rules.rules if "diplomacy" in r.filters.tags]
    for item, (title, _, topic) in zip(out, URGENTS, strict=True):
        assert item.language == "en", title
        assert item.entities, title
        tags = {t.name for t in item.tags}
        if topic:
            assert topic in tags, (title, tags)
        # The shipped rule filters on the tag only, so it fires exactly for the diplomatic items.
        assert (set(diplomatic.filters.tags) <= tags) is (topic == "diplomacy"), title
    blinken = out[1]
    assert {"Blinken", "Wang Yi", "Beijing"} <= {e.name for e in blinken.entities} | {
        a for e in blinken.entities for a in e.aliases
    }


def test_non_english_articles_keep_language_and_no_english_ner(nlp: Language) -> None:
    items = [
        deduped(article("de", "Regierung beschließt Regeln für Wahlen", GERMAN_BODY)),
        deduped(article("fr", "Nouvelles règles pour les élections", FRENCH_BODY)),
        deduped(article("stated", "Blinken meets Wang Yi", ENGLISH_BODY, language="de-CH")),
    ]
    out = enrich(items, nlp)
    assert [(i.language, i.entities, i.tags) for i in out] == [("de", (), ()), ("fr", (), ()), ("de", (), ())]
    for item in out:  # and the index stage takes them
        to_document(item, T0)


# ---------------------------------------------------------------------------------------------- index


def test_mapping_declares_every_language_field() -> None:
    props = ARTICLE_MAPPING["properties"]
    for field in I18N_FIELDS:
        sub = props[f"{field}_i18n"]["properties"]
        assert sub["de"] == {"type": "text", "analyzer": "german"}
        assert sub["ja"]["analyzer"] == sub["zh"]["analyzer"] == "cjk"
        assert sub["other"]["analyzer"] == "standard"
        assert "en" not in sub  # English lives in the english-analysed title, lead and body
        assert set(sub) == (set(LANGUAGE_ANALYZERS) - {"en"}) | {"other"}
    assert props["body"]["analyzer"] == "english"


@pytest.mark.parametrize(("language", "key"), [("de", "de"), ("ckb", "ckb"), ("pl", "other"), ("xx", "other")])
def test_document_puts_non_english_text_under_its_language(language: str, key: str) -> None:
    item = deduped(article("a", "Titel", GERMAN_BODY))
    doc = to_document(EnrichedArticle(article=item.article, dedup=item.dedup, language=language), T0)
    assert doc["language"] == language
    assert doc["body_i18n"] == {key: GERMAN_BODY} and doc["title_i18n"] == {key: "Titel"}
    assert doc["lead_i18n"] == {key: GERMAN_BODY}
    assert doc["body"] == GERMAN_BODY  # still in the shared field: literal words match in any language


def test_english_document_has_no_language_twins(nlp: Language) -> None:
    (item,) = enrich([deduped(article("e", "Blinken meets Wang", ENGLISH_BODY))], nlp)
    doc = to_document(item, T0)
    assert doc["language"] == "en"
    assert (doc["title_i18n"], doc["lead_i18n"], doc["body_i18n"]) == ({}, {}, {})


@pytest.fixture(scope="module")
def multilingual(backend: Settings, nlp: Language) -> Settings:
    settings = backend.model_copy(
        update={"index_name": "lang-articles", "outcomes_index": "lang-outcomes", "alerts_index": "lang-alerts"}
    )
    items = enrich(
        [
            deduped(article("de", "Regierung beschließt Regeln für Wahlen", GERMAN_BODY)),
            deduped(article("fr", "Nouvelles règles pour les élections", FRENCH_BODY)),
            deduped(article("en", "URGENT: Blinken meets Wang Yi in Beijing", ENGLISH_BODY)),
        ],
        nlp,
    )
    actions = [index_action(settings.index_name, to_document(item, T0 + timedelta(minutes=1))) for item in items]

    async def write() -> None:
        sink = SearchSink(settings)
        try:
            await sink.setup()
            results = await sink.write(actions)
        finally:
            await sink.close()
        assert all(r.status in (200, 201) for r in results), results

    asyncio.run(write())
    sync_client(settings).indices.refresh(index=settings.index_name)
    return settings


def ids(hits: list[dict[str, Any]]) -> list[str]:
    return [h["article_id"] for h in hits]


@pytest.mark.integration
def test_language_analysers_find_inflected_words(multilingual: Settings) -> None:
    # "Wahl" and "Regierung" appear only inflected (Wahlen, Regierungen, Bundesregierung is one word): the
    # english analyser of `body` does not stem them, the german one of body_i18n.de does.
    es = sync_client(multilingual)
    english_only = es.search(index=multilingual.index_name, query={"match": {"body": "Wahl"}})
    assert english_only["hits"]["hits"] == []
    assert ids(search_articles(multilingual, "Wahl")) == ["de"]
    (hit,) = search_articles(multilingual, "Regierung")
    assert hit["article_id"] == "de" and hit["language"] == "de"
    assert "<em>" in " ".join(hit["highlight"].get("body_i18n.de", []))
    # The french analyser folds accents and stems plurals: "elections" finds "élections"; the english one does not.
    assert ids(search_articles(multilingual, "elections")) == ["fr"]
    # English is found as before, through the english-analysed fields.
    assert ids(search_articles(multilingual, "meeting Blinken")) == ["en"]


@pytest.mark.integration
def test_language_keyword_and_the_shipped_rule(multilingual: Settings) -> None:
    es = sync_client(multilingual)
    for lang in ("de", "fr", "en"):
        resp = es.search(index=multilingual.index_name, query={"term": {"language": lang}})
        assert ids([h["_source"] for h in resp["hits"]["hits"]]) == [lang]
    # The shipped diplomacy rule fires on the short English urgent, not on the others (no English tags).
    rules = load_rules(ROOT / "alerts.yml")
    resp = es.search(index=multilingual.index_name, query=evaluation_query(["de", "fr", "en"], rules))
    fired = {h["_id"]: [r.name for r in matched_rules(h, rules)] for h in resp["hits"]["hits"]}
    assert fired == {"de": [], "fr": [], "en": ["diplomatic-coverage"]}
