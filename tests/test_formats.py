"""Wire formats: every IPTC sample (ninjs 1.4-3.1, NewsML-G2) is read with the values it states; many-item
documents yield one entry per item; what is not recognised is refused with its reason, never indexed as text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import validators
from lxml import etree

from wiredesk.connectors.formats import ItemError, parse_document
from wiredesk.pipeline.clean import clean
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, PubStatus, RawArticle

ROOT = Path(__file__).resolve().parent.parent


def _samples() -> Path | None:
    """The copy in tests/data first (the tests never depend on shared/), then shared/ beside the clone."""
    for candidate in (ROOT / "tests" / "data" / "samples", ROOT.parent / "shared" / "samples"):
        if (candidate / "ninjs").is_dir() and (candidate / "newsml-g2").is_dir():
            return candidate
    return None


SAMPLES = _samples()
needs_samples = pytest.mark.skipif(
    SAMPLES is None, reason="IPTC samples missing: neither tests/data/samples nor ../shared/samples exists"
)
NAR = "http://iptc.org/std/nar/2006-10-01/"


def parse(text: str, suffix: str = ".json", origin: str = "in/doc") -> list[RawArticle | ItemError]:
    return parse_document(text, suffix=suffix, origin=origin, folder_source="folder")


def one(text: str, suffix: str = ".json") -> RawArticle:
    (item,) = parse(text, suffix)
    assert isinstance(item, RawArticle), item
    return item


def sample(name: str) -> Path:
    assert SAMPLES is not None
    return SAMPLES / name


# ninjs -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    title: str
    guid: str
    published_at: datetime
    sentence: str
    byline: str
    content_type: ContentType = ContentType.HTML
    version: int | None = None
    located: str | None = None
    language: str | None = None
    urgency: int | None = None
    source: str = "folder"  # the drop folder's, when the item names no provider
    subjects: tuple[tuple[str, str], ...] = ()


COSTA = {
    "title": "Captain of wrecked cruise ship on trial in Italy",
    "published_at": datetime(2013, 7, 9, 10, 37, tzinfo=UTC),
    "sentence": "Pepe said some 1,000 witnesses are expected to eventually testify.",
    "byline": "Paulo Santalucia and Frances d'Emilio",
}
SIMPLE = {**COSTA, "guid": "http://ninjs.example.com/newsitems/20130709simp123"}
MEDIUM = {
    **COSTA,
    "guid": "http://ninjs.example.com/newsitems/20130709med123",
    "located": "Grossetto, Italy",
    "language": "en",
}
DPA = Expected(
    title="Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?",
    guid="urn:newsml:dpa.com:20090101:190510-99-167362",
    published_at=datetime(2019, 5, 10, 16, 2, 28, tzinfo=timezone(timedelta(hours=2))),
    sentence="Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».",
    byline="Von Christian Hollmann, dpa",
    version=2,
    language="de",
    urgency=4,
    source="dpa",
)
NTB = Expected(
    title="Google har kjøpt giganttomt i Skien",
    guid="urn:8d19cf88-b3ab-4972-8fec-1207599f2872",
    published_at=datetime(2019, 8, 9, 9, 46, 53, tzinfo=UTC),
    sentence="IT-giganten Google har kjøpt en tomt på nærmere 2.000 mål i Skien",
    byline="NTB",
    content_type=ContentType.TEXT,  # a summary-only item: its description is its text
    version=6,
    language="nb-NO",
    urgency=5,
    source="NTB",
    subjects=(
        ("Innenriks", "Innenriks"),
        ("13010000", "Teknologi"),
        ("04011000", "Industri"),
        ("04005000", "Olje og energi"),
    ),
)
NINJS: dict[str, Expected] = {
    "004_simple_text_article_v3.1.json": Expected(**SIMPLE),
    "ninjsExSimpleText_2_v2.1.json": Expected(**SIMPLE),
    "ninjsExSimpleText_3_v3.0.json": Expected(**SIMPLE),
    "005_complex_text_article_v2.2.json": Expected(**MEDIUM),
    "005_complex_text_article_v3.1.json": Expected(**MEDIUM),
    "ninjsExMediumText1_v1.4.json": Expected(**MEDIUM),
    "ninjsExComplex1_v1.4.json": Expected(**{**MEDIUM, "guid": "http://ninjs.example.com/newsitems/20130709cplx123"}),
    "dpa_text_v2.1.json": DPA,
    "dpa_text_v3.0.json": DPA,
    "ntb_text_v2.1.json": NTB,
    "ntb_text_v3.0.json": NTB,
}


def ninjs_items() -> list[str]:
    return sorted(p.name for p in sample("ninjs").glob("*.json") if not p.name.startswith("ninjs-schema_"))


@needs_samples
def test_every_ninjs_sample_is_covered() -> None:
    assert ninjs_items() == sorted(NINJS)


@needs_samples
@pytest.mark.parametrize("name", sorted(NINJS))
def test_ninjs_sample_fields(name: str) -> None:
    want = NINJS[name]
    raw = one(sample(f"ninjs/{name}").read_text(encoding="utf-8"))
    assert (raw.title, raw.source, raw.published_at, raw.content_type) == (
        want.title,
        want.source,
        want.published_at,
        want.content_type,
    )
    wire = raw.wire
    assert (wire.input_format, wire.guid, wire.version, wire.pub_status) == (
        "ninjs",
        want.guid,
        want.version,
        PubStatus.USABLE,
    )
    assert (wire.byline, wire.located, wire.language, wire.urgency) == (
        want.byline,
        want.located,
        want.language,
        want.urgency,
    )
    assert tuple((s.code, s.name) for s in wire.subjects) == want.subjects
    assert want.sentence in raw.text


@needs_samples
@pytest.mark.parametrize("name", sorted(NINJS))
def test_ninjs_sample_validates_against_its_schema(name: str) -> None:
    version = re.search(r"_v(\d\.\d)\.json$", name)
    assert version is not None
    schema = json.loads(sample(f"ninjs/ninjs-schema_{version.group(1)}.json").read_text(encoding="utf-8"))
    validator = validators.validator_for(schema)(schema)
    doc = json.loads(sample(f"ninjs/{name}").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(doc)) == []
    # the validation can fail: a publishing status the standard does not know is an error
    key = "pubStatus" if version.group(1) >= "3" else "pubstatus"
    assert list(validator.iter_errors({**doc, key: "deleted"}))


@needs_samples
@pytest.mark.parametrize("name", ["004_simple_text_article_v3.1.json", "dpa_text_v3.0.json", "ntb_text_v3.0.json"])
def test_ninjs_sample_cleans_to_its_paragraphs(name: str) -> None:
    """What the clean stage makes of it: the HTML body's paragraphs, without markup."""
    cleaned = clean(one(sample(f"ninjs/{name}").read_text(encoding="utf-8")))
    assert cleaned.title == NINJS[name].title
    assert NINJS[name].sentence in cleaned.body and "<p>" not in cleaned.body
    assert len(cleaned.paragraphs) == {"004": 4, "dpa": 9, "ntb": 1}[name[:3]]


@needs_samples
def test_versions_of_one_ninjs_item_share_the_article_id() -> None:
    """2.1 and 3.0 of the dpa item, and 1.4/2.2/3.1 of the medium text, name the same item (same uri)."""
    dpa = {one(sample(f"ninjs/dpa_text_v{v}.json").read_text()).article_id for v in ("2.1", "3.0")}
    medium = {
        one(sample(f"ninjs/{n}").read_text()).article_id
        for n in ("ninjsExMediumText1_v1.4.json", "005_complex_text_article_v2.2.json")
    }
    assert len(dpa) == 1 and len(medium) == 1 and dpa != medium


def test_ninjs_kill_without_body_is_a_kill() -> None:
    kill = {
        "uri": "urn:example:kill-1",
        "version": "3",
        "pubStatus": "canceled",
        "headlines": [{"role": "main", "value": "KILL: Story withdrawn"}],
    }
    raw = one(json.dumps(kill))
    assert raw.text == "" and raw.wire.is_kill
    assert (raw.wire.pub_status, raw.wire.version, raw.title) == (PubStatus.CANCELED, 3, "KILL: Story withdrawn")
    withheld = one(json.dumps({"uri": "urn:example:kill-1", "pubstatus": "withheld"}))
    assert withheld.wire.pub_status is PubStatus.WITHHELD and withheld.article_id == raw.article_id


def test_ninjs_writethru_is_a_higher_version_of_the_same_id() -> None:
    first, second = (
        one(json.dumps({"uri": "urn:example:w", "version": v, "body_text": f"Version {v} of the story."}))
        for v in ("1", "2")
    )
    assert first.article_id == second.article_id
    assert (first.wire.version, second.wire.version) == (1, 2)


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"uri": "urn:example:1", "headline": "No text"}, "ninjs text item urn:example:1 has no body"),
        ({"uri": "urn:example:1", "type": "picture"}, "ninjs picture item urn:example:1 has no body"),
        ({"uri": "urn:example:1", "body_text": "x", "version": "2.1"}, r"version: '2.1' is not an integer"),
        ({"uri": "urn:example:1", "body_text": "x", "pubstatus": "deleted"}, "not a publishing status"),
        ({"uri": "urn:example:1", "body_text": "x", "versioncreated": "yesterday"}, "not an ISO 8601"),
        ({"uri": "  ", "body_text": "x"}, "uri is empty"),
    ],
)
def test_bad_ninjs_is_refused_with_a_reason(doc: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse(json.dumps(doc))


def test_ninjs_subject_codes_as_the_provider_gave_them() -> None:
    v1 = one(
        json.dumps(
            {
                "uri": "urn:example:s",
                "body_text": "Text.",
                "subject": [{"name": "Italy", "scheme": "http://cvx.iptc.org/iso3166-1a2/", "code": "it"}],
            }
        )
    )
    v3 = one(
        json.dumps(
            {
                "uri": "urn:example:s",
                "bodies": [{"value": "Text."}],
                "subjects": [{"name": "economy", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}],
            }
        )
    )
    assert [(s.code, s.name) for s in v1.wire.subjects] == [("http://cvx.iptc.org/iso3166-1a2/it", "Italy")]
    assert [(s.code, s.name) for s in v3.wire.subjects] == [
        ("http://cv.iptc.org/newscodes/mediatopic/04000000", "economy")
    ]
    assert v3.content_type is ContentType.TEXT


# NewsML-G2 -------------------------------------------------------------------------------------------------------


def xml_sample(name: str) -> etree._Element:
    return etree.fromstring(sample(f"newsml-g2/{name}").read_bytes())


def xml(el: etree._Element) -> str:
    return etree.tostring(el, encoding="unicode")


@needs_samples
def test_newsml_text_document_fields() -> None:
    raw = one(sample("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml").read_text(), ".xml")
    assert raw.title == 'Fed to halt QE to avert "bubble"'
    assert (raw.source, raw.published_at) == (
        "Acme News and Media LLC",
        datetime(2016, 11, 21, 15, 21, 6, tzinfo=timezone(timedelta(hours=-5))),
    )
    wire = raw.wire
    assert (wire.input_format, wire.guid, wire.version, wire.pub_status) == (
        "newsml-g2",
        "urn:newsml:acmenews.com:20161121:US-FINANCE-FED",
        11,
        PubStatus.USABLE,
    )
    assert (wire.byline, wire.located, wire.language, wire.urgency) == (
        "By Meredith Jameson, Staff Reporter",  # the NITF byline: contentMeta has no <by>
        "New York, NY",
        "en-US",
        None,
    )
    assert [(s.code, s.name) for s in wire.subjects] == [
        ("medtop:04000000", "economy, business and finance"),
        ("medtop:20000350", "central bank"),
        ("medtop:20000379", "money and monetary policy"),
    ]
    paragraphs = raw.text.split("\n\n")
    assert raw.content_type is ContentType.TEXT and len(paragraphs) == 2
    assert paragraphs[0].startswith("(New York, NY - October 21) Et, sent luptat luptat, commy Nim zzriureet")
    assert paragraphs[1].endswith("esto cons dolutpat, si.")


@needs_samples
def test_newsml_news_item_with_empty_inline_xml_is_refused_then_reads_with_an_nitf_body() -> None:
    """Listing 1's inlineXML holds only a comment: no body. Given the NITF article of listing 25, it reads."""
    text = sample("newsml-g2/LISTING_1_A_NewsML-G2_News_Item.xml").read_text()
    with pytest.raises(InvalidInput, match="US-FINANCE-FED has no body"):
        parse(text, ".xml")
    item = xml_sample("LISTING_1_A_NewsML-G2_News_Item.xml")
    content_set = item.find(f"{{{NAR}}}contentSet")
    assert content_set is not None
    item.replace(content_set, xml_sample("LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml"))
    raw = one(xml(item), ".xml")
    assert raw.title == 'Fed to halt QE to avert "bubble"'
    assert raw.source == "Example Enews LLP"  # the copyright holder: the provider has only a qcode
    assert raw.published_at == datetime(2016, 10, 18, 11, 12, tzinfo=timezone(timedelta(hours=-5)))
    wire = raw.wire
    assert (wire.guid, wire.version, wire.language, wire.located, wire.byline) == (
        "urn:newsml:acmenews.com:20161018:US-FINANCE-FED",
        11,
        "en-GB",  # xml:lang of the newsItem: contentMeta has no <language>
        "Berlin",
        "Sports Network",
    )
    assert [(s.code, s.name) for s in wire.subjects] == [
        ("medtop:04000000", "economy, business and finance"),
        ("medtop:20000523", "labour market"),
    ]
    assert "looks set to be a clash of the Titans." in raw.text


@needs_samples
def test_newsml_content_meta_located_subject_and_dateline() -> None:
    """Listing 28's contentMeta in listing 2's item: a located without a name falls back to the dateline."""
    item = xml_sample("LISTING_2_NewsML-G2_Text_Document.xml")
    meta = item.find(f"{{{NAR}}}contentMeta")
    assert meta is not None
    fragment = xml_sample("LISTING_28_Illustrating_Located_Subject_and_Dateline.xml")
    for el in fragment.iter():  # the listing is un-namespaced: put it in the NewsML-G2 namespace
        if isinstance(el.tag, str):
            el.tag = f"{{{NAR}}}{el.tag}"
    item.replace(meta, fragment)
    raw = one(xml(item), ".xml")
    assert raw.title == 'Fed to halt QE to avert "bubble"'  # from the NITF hedline: this contentMeta has none
    assert raw.published_at == datetime(2016, 2, 9, 9, 17, tzinfo=timezone(timedelta(hours=3)))
    assert (raw.wire.located, raw.wire.language) == ("MOSCOW", "en-US")
    assert [(s.code, s.name) for s in raw.wire.subjects] == [("city:Tskhinvali", None), ("city:Tblisi", None)]


@needs_samples
def test_newsml_news_message_one_entry_per_item() -> None:
    path = sample("newsml-g2/LISTING_24_News_Message_conveying_a_complete_News_Package.xml")
    items = parse(path.read_text(), ".xml", origin="in/msg.xml")
    assert all(isinstance(i, ItemError) for i in items)
    errors = [(i.origin, str(i.error)) for i in items if isinstance(i, ItemError)]
    assert errors == [
        ("in/msg.xml#1", "packageItem skipped: only a newsItem carries an article"),
        *(
            (
                f"in/msg.xml#{n + 1}",
                f"newsItem N{n} has no body: no inlineXML or inlineData with text in its contentSet",
            )
            for n in range(1, 5)
        ),
    ]


@needs_samples
def test_newsml_fragments_are_refused_and_bare_nitf_reads() -> None:
    listing = sample("newsml-g2/LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml")
    with pytest.raises(InvalidInput, match="unrecognised XML: root element contentSet"):
        parse(listing.read_text(), ".xml")
    nitf = xml_sample(listing.name).find(".//{*}nitf")
    assert nitf is not None
    raw = one(xml(nitf), ".nitf")
    assert raw.title == "Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05p.m."
    assert (raw.wire.input_format, raw.wire.byline) == ("nitf", "Sports Network")
    assert raw.text.startswith("(Sports Network) - With the Philadelphia Phillies picking up momentum")


def news_item(meta: str, content: str = "", status: str = "stat:usable") -> str:
    return (
        f'<?xml version="1.0"?><newsItem xmlns="{NAR}" guid="urn:example:g2" version="4">'
        f'<itemMeta><itemClass qcode="ninat:text"/><pubStatus qcode="{status}"/></itemMeta>'
        f"<contentMeta>{meta}</contentMeta>{content}</newsItem>"
    )


def test_newsml_kill_remote_and_inline_data() -> None:
    kill = one(news_item("<headline>Withdrawn</headline>", status="stat:withheld"), ".xml")
    assert (kill.text, kill.wire.pub_status, kill.wire.version) == ("", PubStatus.WITHHELD, 4)
    remote = '<contentSet><remoteContent href="https://example.org/a.txt"/></contentSet>'
    with pytest.raises(InvalidInput, match=r"body is remote, not included \(remoteContent https://example.org/a.txt"):
        parse(news_item("", remote), ".xml")
    data = '<contentSet><inlineData contenttype="text/plain">First line.\n\nSecond.</inlineData></contentSet>'
    raw = one(news_item("<urgency>3</urgency><by>Jane Roe</by>", data), ".xml")
    assert (raw.text, raw.wire.urgency, raw.wire.byline) == ("First line.\n\nSecond.", 3, "Jane Roe")
    xhtml = (
        '<contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>t</title></head><body><h1>Head</h1><p>One <b>bold</b> word.</p><ul><li><p>Item</p></li>"
        "</ul></body></html></inlineXML></contentSet>"
    )
    assert one(news_item("", xhtml), ".xml").text == "Head\n\nOne bold word.\n\nItem"


def test_xml_entities_are_not_expanded() -> None:
    """No external entity read of a local file, no network: the entity stays unexpanded."""
    doc = (
        '<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        "<nitf><body><body.content><p>Before &xxe; after.</p></body.content></body></nitf>"
    )
    raw = one(doc, ".xml")
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "\x00"
    assert raw.text.startswith("Before") and hostname not in raw.text


# Dispatch, many-item documents, refusals -------------------------------------------------------------------------

ARTICLES = [
    {"title": f"Story {n}", "body": f"Body of story {n}.", "url": f"https://example.org/{n}"} for n in (1, 2, 3)
]


def test_json_array_of_three_articles() -> None:
    items = parse(json.dumps(ARTICLES), origin="in/a.json")
    assert [(i.origin, i.title, i.source) for i in items if isinstance(i, RawArticle)] == [
        (f"in/a.json#{n}", f"Story {n}", "folder") for n in (1, 2, 3)
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_json_lines_of_three_articles(suffix: str) -> None:
    text = "\n".join(json.dumps(a) for a in ARTICLES[:2]) + "\n\n" + json.dumps(ARTICLES[2]) + "\n"
    items = parse(text, suffix, origin="in/a" + suffix)
    # n is the line: the blank line 3 holds nothing
    assert [(i.origin, i.title) for i in items if isinstance(i, RawArticle)] == [
        (f"in/a{suffix}#1", "Story 1"),
        (f"in/a{suffix}#2", "Story 2"),
        (f"in/a{suffix}#4", "Story 3"),
    ]


def test_one_bad_item_among_good_ones() -> None:
    items = parse(json.dumps([ARTICLES[0], {"title": "no body"}, ARTICLES[2], [1]]), origin="in/a.json")
    assert [type(i).__name__ for i in items] == ["RawArticle", "ItemError", "RawArticle", "ItemError"]
    bad, also_bad = items[1], items[3]
    assert isinstance(bad, ItemError) and isinstance(also_bad, ItemError)
    assert (bad.origin, json.loads(bad.payload)) == ("in/a.json#2", {"title": "no body"})
    assert "body: Field required" in str(bad.error)
    assert "must be an object, got list" in str(also_bad.error)
    lines = parse(json.dumps(ARTICLES[0]) + '\n{"body": \n', ".jsonl", origin="in/a.jsonl")
    assert isinstance(lines[0], RawArticle) and isinstance(lines[1], ItemError)
    assert lines[1].origin == "in/a.jsonl#2" and "malformed JSON" in str(lines[1].error)


@pytest.mark.parametrize(
    ("text", "suffix", "reason"),
    [
        (
            '<foo xmlns="http://example.com/x"><bar/></foo>',
            ".xml",
            r"unrecognised XML: root element \{http://example.com/x\}foo",
        ),
        ('<?xml version="1.0"?><html><body>x</body></html>', ".txt", "unrecognised XML: root element html"),
        ("<rss><channel>", ".rss", "malformed XML"),
        (
            '{"a": 1, "c": [], "b": 2}',
            ".json",
            r"JSON object is neither ninjs \(no uri\) nor a flat article \(no body\): keys a, b, c",
        ),
        ("[]", ".json", "empty JSON array"),
        ("3", ".json", "must be an object, got int"),
    ],
)
def test_unrecognised_documents_are_refused_with_their_reason(text: str, suffix: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse(text, suffix)


@pytest.mark.parametrize("text", ["<b>Breaking:</b> markets fall.", "[UPDATE 2] Markets fall.", '{"body": "x"}'])
def test_a_txt_stays_text_whatever_it_starts_with(text: str) -> None:
    raw = one(text, ".txt")
    assert (raw.text, raw.content_type, raw.wire.input_format) == (text, ContentType.TEXT, "text")


def test_html_is_html() -> None:
    raw = one("<html><body><p>Hello</p></body></html>", ".html")
    assert (raw.content_type, raw.wire.input_format, raw.source) == (ContentType.HTML, "html", "folder")


@pytest.mark.parametrize(
    ("root", "suffix"),
    [
        ("<rss version='2.0'><channel/></rss>", ".xml"),
        ("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>", ".rdf"),
        ("<feed xmlns='http://www.w3.org/2005/Atom'/>", ".atom"),
    ],
)
def test_feeds_go_to_the_feed_parser(monkeypatch: pytest.MonkeyPatch, root: str, suffix: str) -> None:
    calls: list[tuple[str, str, str | None]] = []

    def fake_feed(text: str, *, origin: str, folder_source: str | None) -> list[RawArticle]:
        calls.append((text, origin, folder_source))
        return [RawArticle(article_id="x", origin=f"{origin}#1", text="entry")]

    monkeypatch.setattr("wiredesk.connectors.formats.parse_feed", fake_feed)
    text = '<?xml version="1.0"?>' + root  # a .rdf is XML by its declaration
    assert [i.origin for i in parse(text, suffix, origin="in/f")] == ["in/f#1"]
    assert calls == [(text, "in/f", "folder")]


def test_bare_nitf_docdata() -> None:
    doc = (
        '<nitf xml:lang="en"><head><title>Blinken meets Liu</title><docdata><doc-id id-string="AP-2024-0113-1"/>'
        '<urgency ed-urg="2"/><date.issue norm="20240113T100000Z"/></docdata></head><body><body.head><byline>'
        "By <person>Jane Roe</person></byline></body.head><body.content><p>WASHINGTON (AP) - Antony Blinken met"
        " Liu Jianchao.</p><p>They talked.</p></body.content></body></nitf>"
    )
    raw = one(doc, ".nitf")
    assert (raw.title, raw.text) == (
        "Blinken meets Liu",
        "WASHINGTON (AP) - Antony Blinken met Liu Jianchao.\n\nThey talked.",
    )
    assert raw.published_at == datetime(2024, 1, 13, 10, tzinfo=UTC)
    assert (raw.wire.guid, raw.wire.urgency, raw.wire.byline, raw.wire.language) == (
        "AP-2024-0113-1",
        2,
        "By Jane Roe",
        "en",
    )
