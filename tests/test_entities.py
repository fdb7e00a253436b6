"""The normalisation rules, tagging and dateline helpers, one table per rule. No model (language: test_language.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wiredesk.pipeline.clean_rules import dateline_place
from wiredesk.pipeline.enrich import (
    _chunks,
    load_lexicon,
    stated_dates,
    tag,
    term_pattern,
)
from wiredesk.pipeline.entities import (
    Mention,
    capital_country,
    clean_surface,
    country,
    is_junk,
    normalise,
    role_before,
    strip_title,
)
from wiredesk.pipeline.models import Block, CleanedArticle, Entity, utcnow


def m(text: str, label: str, start: int = 100, **kw: object) -> Mention:
    return Mention(text=text, label=label, start=start, local_start=start, **kw)  # type: ignore[arg-type]


def by_name(entities: tuple[Entity, ...]) -> dict[str, Entity]:
    return {e.name: e for e in entities}


# ---------------------------------------------------------------------------------------------- surface


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Joe Biden’s", "Joe Biden"),  # typographic apostrophe
        ("Joe Biden's", "Joe Biden"),
        ("US'", "US"),  # plural-style possessive
        ("Taiwan’s", "Taiwan"),
        ("the Chinese Communist Party’s", "Chinese Communist Party"),
        ("the United States", "United States"),
        ("The United States", "United States"),
        ("The Hague", "The Hague"),  # the article is part of the name
        ("“Taiwan”", "Taiwan"),
        ("(DPP)", "DPP"),
        ("Party for Freedom (PVV", "Party for Freedom"),  # unbalanced bracket: the span ran on
        ("CNN)Syrian", "Syrian"),
        ("  Antony   Blinken ", "Antony Blinken"),
        ("U.S.", "U.S."),  # abbreviation dots stay
    ],
)
def test_clean_surface(raw: str, clean: str) -> None:
    assert clean_surface(raw) == clean


@pytest.mark.parametrize(
    ("raw", "name", "role"),
    [
        ("President Joe Biden", "Joe Biden", "President"),
        ("Secretary of State Antony Blinken", "Antony Blinken", "Secretary of State"),
        ("Vice President Mike Pence", "Mike Pence", "Vice President"),
        ("Former President Barack Obama", "Barack Obama", "Former President"),
        ("Sen. Elizabeth Warren", "Elizabeth Warren", "Senator"),
        ("Ms Shortall", "Shortall", None),  # honorifics go, they are not roles
        ("Mr. Xi", "Xi", None),
        ("Dr Anthony Fauci", "Anthony Fauci", None),
        ("Antony Blinken", "Antony Blinken", None),
        ("President", "President", None),  # a title alone is left for the junk rules
    ],
)
def test_strip_title(raw: str, name: str, role: str | None) -> None:
    assert strip_title(raw) == (name, role)


@pytest.mark.parametrize(
    ("prefix", "role"),
    [
        ("raised concerns, said US Secretary of State ", "Secretary of State"),
        ("said State Department spokesman ", "Spokesman"),
        ("following the summit between US President ", "President"),
        ("At their November meeting, Presidents ", "President"),  # plural before "Biden and Xi"
        ("with Japan’s Foreign Minister ", "Foreign Minister"),  # longest title wins over "Minister"
        ("installed by former president ", "Former President"),
        ("Minister for Health ", "Minister for Health"),
        ("Chinese official ", None),
        ("in general ", None),  # "General" is a title only when capitalised
        ("met the king ", None),
        ("President Biden met ", None),  # the title must end right where the name starts
    ],
)
def test_role_before(prefix: str, role: str | None) -> None:
    found = role_before(prefix)
    assert (found[0] if found else None) == role


# ---------------------------------------------------------------------------------------------- places


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("US", ("United States", "US")),
        ("U.S.", ("United States", "US")),
        ("USA", ("United States", "US")),
        ("United States", ("United States", "US")),
        ("the United States", ("United States", "US")),
        ("United States of America", ("United States", "US")),
        ("America", ("United States", "US")),
        ("China", ("China", "CN")),
        ("Taiwan", ("Taiwan", "TW")),  # pycountry: "Taiwan, Province of China"
        ("Russia", ("Russia", "RU")),
        ("Russian Federation", ("Russia", "RU")),
        ("South Korea", ("South Korea", "KR")),
        ("North Korea", ("North Korea", "KP")),
        ("Iran", ("Iran", "IR")),
        ("UK", ("United Kingdom", "GB")),
        ("Britain", ("United Kingdom", "GB")),
        ("Turkey", ("Turkey", "TR")),
        ("Türkiye", ("Turkey", "TR")),
        ("Ivory Coast", ("Côte d'Ivoire", "CI")),
        ("Cote d’Ivoire", ("Côte d'Ivoire", "CI")),
        ("the Netherlands", ("Netherlands", "NL")),
        ("us", None),  # the pronoun
        ("IT", None),  # an acronym, not Italy's code
        ("Georgia", None),  # the US state as often as the country: no code
        ("England", None),  # not a country in ISO 3166
        ("Washington", None),
        ("Chinese", None),
    ],
)
def test_country(name: str, expected: tuple[str, str] | None) -> None:
    found = country(name)
    assert (None if found is None else (found.name, found.code)) == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Washington", "US"),
        ("Beijing", "CN"),
        ("MOSCOW", "RU"),
        ("Kyiv", "UA"),
        ("Kiev", "UA"),
        ("Taipei", "TW"),
        ("Jerusalem", None),  # contested: no capital role either way
        ("Victoria", None),  # Seychelles, but mostly an Australian state or a name
        ("San Francisco", None),
    ],
)
def test_capital_country(name: str, code: str | None) -> None:
    assert capital_country(name) == code


# ---------------------------------------------------------------------------------------------- junk


@pytest.mark.parametrize(
    ("name", "label", "junk"),
    [
        ("State", "ORG", True),  # out of "Secretary of State"
        ("Department", "PERSON", True),
        ("WATCH", "ORG", True),
        ("Learn more", "ORG", True),
        ("A", "PERSON", True),
        ("J.", "PERSON", True),
        ("2024", "ORG", True),
        ("50-50", "ORG", True),
        ("Saturday", "DATE", True),  # dates are not entities of interest
        ("two", "CARDINAL", True),
        ("Lemonade", "WORK_OF_ART", True),  # too noisy in the small model
        ("New YearaddresscallingChina", "ORG", True),  # glued words
        ("anti-Muslim", "NORP", True),
        ('Don"t', "PERSON", True),  # mojibake
        ("Edward Snowden- Al Jazeera:-For", "PERSON", True),
        ("Putin - Kremlin", "ORG", True),
        ("@realDonaldTrump", "ORG", True),
        ("http://dw.com/p/2UNO9", "ORG", True),
        ("MS-13", "PERSON", True),
        ("Antony Blinken", "PERSON", False),
        ("Senate", "ORG", False),
        ("WhatsApp", "ORG", False),
        ("HarperCollins", "ORG", False),
        ("Anti-Defamation League", "ORG", False),
        ("al-Qaeda", "ORG", False),
        ("Xi", "PERSON", False),
        ("Affordable Care Act", "LAW", False),
        ("World Cup", "EVENT", False),
    ],
)
def test_is_junk(name: str, label: str, junk: bool) -> None:
    assert is_junk(name, label) is junk


# ---------------------------------------------------------------------------------------------- normalise


def test_short_mention_takes_the_full_name_whatever_its_label() -> None:
    ents = normalise(
        [
            m("Blinken", "GPE", 0, in_headline=True),  # the small model's label on the seed
            m("Antony Blinken", "PERSON", 50),
            m("Blinken", "PERSON", 300),
        ]
    )
    assert [(e.name, e.label, e.mentions, e.aliases, e.first_position) for e in ents] == [
        ("Antony Blinken", "PERSON", 3, ("Blinken",), 0)
    ]


@pytest.mark.parametrize(
    ("full", "short"),
    [("Lai Ching-te", "Lai"), ("Liu Jianchao", "Liu"), ("Matthew Miller", "Miller"), ("Xi Jinping", "Xi")],
)
def test_short_mention_matches_family_name_first_or_last(full: str, short: str) -> None:
    ents = normalise([m(full, "PERSON", 10), m(short, "PERSON", 200)])
    assert [(e.name, e.mentions) for e in ents] == [(full, 2)]


def test_shared_family_name_goes_to_the_person_named_last() -> None:
    ents = by_name(
        normalise(
            [
                m("Donald Trump", "PERSON", 10),
                m("Melania Trump", "PERSON", 100),
                m("Trump", "PERSON", 200),  # right after Melania
                m("Donald Trump", "PERSON", 300),
                m("Trump", "ORG", 400),  # right after Donald again; ORG is the small model's error
            ]
        )
    )
    assert ents["Melania Trump"].mentions == 2
    assert ents["Donald Trump"].mentions == 3
    assert ents["Donald Trump"].label == "PERSON"


def test_a_country_named_like_a_person_stays_a_country() -> None:
    ents = by_name(normalise([m("Michael Jordan", "PERSON", 10), m("Jordan", "GPE", 100)]))
    assert ents["Jordan"].code == "JO"
    assert ents["Michael Jordan"].mentions == 1


def test_country_variants_merge_with_iso_code() -> None:
    ents = normalise(
        [
            m("US", "GPE", 0, in_headline=True),
            m("U.S.", "GPE", 10),
            m("the United States", "GPE", 20),
            m("The United States", "GPE", 30),
            m("America", "GPE", 40),
            m("United States", "ORG", 50),  # mislabelled: pycountry knows better
        ]
    )
    assert [(e.name, e.label, e.code, e.mentions, e.aliases) for e in ents] == [
        ("United States", "GPE", "US", 6, ("US", "America"))  # "U.S." is "US" up to dots
    ]


def test_known_country_labelled_person_becomes_gpe_unless_it_is_a_given_name() -> None:
    ents = by_name(normalise([m("Taiwan", "PERSON", 10), m("Chad", "PERSON", 50)]))
    assert (ents["Taiwan"].label, ents["Taiwan"].code) == ("GPE", "TW")
    assert (ents["Chad"].label, ents["Chad"].code) == ("PERSON", None)


def test_possessive_is_stripped() -> None:
    ents = normalise([m("Joe Biden’s", "PERSON", 10), m("Joe Biden", "PERSON", 90)])
    assert [(e.name, e.mentions, e.aliases) for e in ents] == [("Joe Biden", 2, ())]


def test_title_before_a_person_becomes_role_and_its_words_are_not_entities() -> None:
    text = "US Secretary of State Antony Blinken raised concerns"
    at = text.index("Antony")
    mentions = [
        Mention("US", "GPE", 0, local_start=0, in_lead=True, prefix=""),
        Mention("State", "ORG", 17, local_start=17, in_lead=True, prefix=text[:17], suffix=text[22:30]),
        Mention("Antony Blinken", "PERSON", at, local_start=at, in_lead=True, prefix=text[:at]),
    ]
    ents = by_name(normalise(mentions))
    assert set(ents) == {"United States", "Antony Blinken"}
    assert ents["Antony Blinken"].role == "Secretary of State"


def test_title_inside_the_span_becomes_role() -> None:
    ents = normalise([m("President Joe Biden", "PERSON", 10), m("President Trump", "ORG", 90)])
    assert {(e.name, e.label, e.role) for e in ents} == {
        ("Joe Biden", "PERSON", "President"),
        ("Trump", "PERSON", "President"),
    }


def test_capital_stays_a_place_with_capital_role() -> None:
    # "Washington’s top diplomat": the government, tagged ORG by the model.
    ents = normalise([m("Washington", "GPE", 10), m("Washington’s", "ORG", 90), m("Beijing", "GPE", 120)])
    assert {(e.name, e.label, e.role, e.code, e.mentions) for e in ents} == {
        ("Washington", "GPE", "capital", None, 2),
        ("Beijing", "GPE", "capital", None, 1),
    }


def test_acronym_joins_its_organisation() -> None:
    ents = normalise([m("Democratic Progressive Party", "ORG", 10), m("DPP", "ORG", 50)])
    assert [(e.name, e.mentions, e.aliases) for e in ents] == [("Democratic Progressive Party", 2, ("DPP",))]


def test_case_and_article_variants_merge_and_lowercase_alone_is_dropped() -> None:
    ents = normalise(
        [m("the State Department", "ORG", 10), m("the state department", "ORG", 50), m("the ministry", "ORG", 90)]
    )
    assert [(e.name, e.mentions, e.aliases) for e in ents] == [("State Department", 2, ())]


def test_agency_credit_in_a_dateline_is_not_an_entity() -> None:
    mentions = [
        m("WASHINGTON", "GPE", 0, in_lead=True),
        m("Reuters", "ORG", 12, in_lead=True, prefix="WASHINGTON (", suffix=") - The"),
        m("Reuters", "ORG", 300, prefix="told ", suffix=" on Monday"),  # about Reuters: kept
    ]
    ents = by_name(normalise(mentions))
    assert ents["Reuters"].mentions == 1
    assert ents["Washington"].role == "capital"  # shouted dateline in normal case


def test_majority_label_wins_for_the_same_name() -> None:
    ents = normalise([m("Nordstrom", "ORG", 10), m("Nordstrom", "ORG", 50), m("Nordstrom", "PERSON", 90)])
    assert [(e.name, e.label, e.mentions) for e in ents] == [("Nordstrom", "ORG", 3)]


@pytest.mark.parametrize(
    ("a", "b", "label", "name"),
    [
        ("Donald J. Trump", "Donald Trump", "PERSON", "Donald J. Trump"),  # middle initial
        ("Americans", "American", "NORP", "Americans"),  # plural demonym
        ("US Congress", "United States Congress", "ORG", "United States Congress"),  # country prefix
    ],
)
def test_variant_merges(a: str, b: str, label: str, name: str) -> None:
    ents = normalise([m(a, label, 10), m(b, label, 50)])
    assert [(e.name, e.mentions) for e in ents] == [(name, 2)]


def test_salience_and_first_position() -> None:
    ents = by_name(
        normalise(
            [
                m("Taiwan", "GPE", 0, in_headline=True),
                m("Liu Jianchao", "PERSON", 40, in_lead=True),
                m("the Senate", "ORG", 900),
                m("Taiwan", "GPE", 1000),
            ]
        )
    )
    assert (ents["Taiwan"].salient, ents["Taiwan"].first_position, ents["Taiwan"].mentions) == (True, 0, 2)
    assert (ents["Liu Jianchao"].salient, ents["Liu Jianchao"].first_position) == (True, 40)
    assert (ents["Senate"].salient, ents["Senate"].first_position) == (False, 904)  # points past "the "


def test_junk_and_unwanted_labels_are_dropped() -> None:
    ents = normalise(
        [m("WATCH", "ORG"), m("Saturday (Jan 13", "DATE"), m("two", "CARDINAL"), m("State", "ORG"), m("X", "PERSON")]
    )
    assert ents == ()


def test_normalise_nothing() -> None:
    assert normalise([]) == ()


# ---------------------------------------------------------------------------------------------- tags


def article(body: str, title: str = "A title") -> CleanedArticle:
    blocks = tuple(Block(text=p) for p in body.split("\n\n"))
    return CleanedArticle(article_id="a", origin="test", received_at=utcnow(), title=title, blocks=blocks)


@pytest.mark.parametrize(
    ("term", "text", "hit"),
    [
        ("summit", "at the Summit in Davos", True),  # lower-case term: any case
        ("summit", "the summitry of it", False),  # whole words
        ("diplomat*", "the diplomatic row", True),
        ("secretary of state", "Secretary  of\nState Blinken", True),  # any white space
        ("UN", "the UN said", True),
        ("UN", "un jour", False),  # a term with capitals: exact case
        ("war", "an award", False),
        ("Xi’s", "Xi's visit", True),  # apostrophe style does not matter
    ],
)
def test_term_pattern(term: str, text: str, hit: bool) -> None:
    assert bool(term_pattern(term).search(text.replace("’", "'"))) is hit


def test_tag_needs_min_evidence_distinct_terms(tmp_path: Path) -> None:
    lexicon_file = tmp_path / "topics.toml"
    lexicon_file.write_text(
        '[defaults]\nmin_evidence = 2\n[topics.diplomacy]\nterms = ["summit", "diplomat*", "talks"]\n'
        '[topics.sport]\nmin_evidence = 1\nterms = ["football"]\n',
        encoding="utf-8",
    )
    lexicon = load_lexicon(lexicon_file)
    # Past the short-item length (pipeline.enrich.SHORT_ITEM_WORDS) one term is not enough.
    filler = " The club said the squad trains on Monday and plays at home on Saturday afternoon." * 4
    one_word = article("Contract talks stalled. More talks are due." + filler)
    assert tag(one_word, lexicon) == ()
    two_words = article("Diplomats said the talks before the summit went well.\n\nFootball later.")
    tags = {t.name: t.evidence for t in tag(two_words, lexicon)}
    assert tags == {"diplomacy": ("diplomat*", "talks", "summit"), "sport": ("football",)}


def test_tag_reads_the_title_too(tmp_path: Path) -> None:
    lexicon_file = tmp_path / "t.toml"
    lexicon_file.write_text('[topics.diplomacy]\nterms = ["summit", "envoy"]\n', encoding="utf-8")
    assert tag(article("The envoy arrived.", title="Summit opens"), load_lexicon(lexicon_file))[0].evidence == (
        "summit",
        "envoy",
    )


@pytest.mark.parametrize(
    "content",
    [
        "[topics.x]\nterms = []\n",
        '[topics.x]\nterms = "summit"\n',
        '[topics.x]\nterms = ["a"]\nmin_evidence = 0\n',
    ],
)
def test_load_lexicon_rejects_bad_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"topics\.x"):
        load_lexicon(path)


def test_default_lexicon_has_the_required_topics() -> None:
    lexicon = load_lexicon()
    assert {"diplomacy", "elections", "conflict"} <= {t.name for t in lexicon.topics}
    assert all(t.min_evidence >= 2 for t in lexicon.topics)


# ---------------------------------------------------------------------------------------------- datelines


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("WASHINGTON (Reuters) - The US Senate voted", "Washington"),
        ("Washington (CNN)Vice President Mike Pence cast", "Washington"),
        ("BAKU, February 7. /TASS/. Russian citizen", "Baku"),
        ("LONDON, Jan 13 (Reuters) - Britain", "London"),
        ("Islamabad, Pakistan --Pakistan's government", "Islamabad"),
        ("BEIJING — China said", "Beijing"),
        ("NEW YORK (AP) — A man", "New York"),
        ("Taiwan — a democracy — votes on Saturday", None),  # an ordinary sentence
        ("Washington and Beijing have held regular discussions", None),
        ("Hours before voters in Taiwan went to the polls", None),
    ],
)
def test_dateline_place(text: str, place: str | None) -> None:
    assert dateline_place(text) == place


def test_stated_dates() -> None:
    text = "The meeting took place on Saturday (Jan 13). Patel said Thursday (Jan. 11); the vote is on 2 March 2024."
    assert stated_dates(text, reference=date(2024, 1, 14)) == (date(2024, 1, 13), date(2024, 1, 11), date(2024, 3, 2))
    assert stated_dates(text) == (date(2024, 3, 2),)  # without a reference a day-month has no year
    assert stated_dates("on Dec 30", reference=date(2024, 1, 2)) == (date(2023, 12, 30),)  # closest year
    assert stated_dates("Feb 30") == ()


def test_chunks_split_long_text_at_spaces_and_keep_offsets() -> None:
    text = "word " * 50
    pieces = list(_chunks(text, limit=32))
    assert "".join(p for _, p in pieces) == text
    assert all(text[o : o + len(p)] == p and len(p) <= 32 for o, p in pieces)


# ---------------------------------------------------------------------------------------------- model slips


def test_middle_word_of_a_name_resolves() -> None:
    ents = normalise([m("Aldo Fasci Zuazua", "PERSON", 10), m("Fasci", "PERSON", 200)])
    assert [(e.name, e.mentions) for e in ents] == [("Aldo Fasci Zuazua", 2)]


def test_lower_case_words_before_a_person_are_dropped() -> None:
    ents = normalise([m("torture Rachel Stroumsa", "PERSON", 10), m("al-Assad", "PERSON", 90)])
    assert {e.name for e in ents} == {"Rachel Stroumsa", "al-Assad"}


def test_title_word_after_an_organisation_is_dropped() -> None:
    assert [e.name for e in normalise([m("Alibaba Executive", "ORG", 10)])] == ["Alibaba"]


def test_title_alone_is_not_a_person() -> None:
    assert normalise([m("Queen", "PERSON", 10), m("the President", "PERSON", 50)]) == ()


def test_acronym_in_brackets_after_an_organisation() -> None:
    text = "the Public Committee Against Torture (PCATI) said"
    long_at, acr_at = text.index("Public"), text.index("PCATI")
    mentions = [
        Mention("the Public Committee Against Torture", "ORG", 0, local_start=0),
        Mention("PCATI", "ORG", acr_at, local_start=acr_at, prefix=text[:acr_at], suffix=text[acr_at + 5 :]),
        Mention("PCATI", "ORG", 400, zone=1, local_start=10, prefix="said ", suffix=" on"),
    ]
    assert long_at == 4
    ents = normalise(mentions)
    assert [(e.name, e.mentions, e.aliases) for e in ents] == [("Public Committee Against Torture", 3, ("PCATI",))]


def test_agency_pair_credit_is_dropped() -> None:
    mention = m("AFP/Reuters", "ORG", 900, prefix="more on this story (", suffix=")")
    assert normalise([mention]) == ()


def test_title_case_headline_run_is_dropped_only_in_headlines() -> None:
    run = "GOP Rushes Forward With Its Health Care Bill"
    assert normalise([m(run, "ORG", 0, in_headline=True)]) == ()
    council = "Council on Foreign Relations"  # lower-case "on": a name, kept even in a headline
    assert [e.name for e in normalise([m(council, "ORG", 0, in_headline=True)])] == [council]


@pytest.mark.parametrize(
    ("name", "label", "role"),
    [("Kiev", "GPE", "capital"), ("Paris", "PERSON", None), ("Ankara", "GPE", "capital")],
)
def test_capital_labelled_person_becomes_a_place_unless_it_is_also_a_name(
    name: str, label: str, role: str | None
) -> None:
    (ent,) = normalise([m(name, "PERSON", 10)])
    assert (ent.label, ent.role) == (label, role)
