"""Entity normalisation: from the spans a NER model found in one article to the entities users filter on.

Pure functions over strings and lists, no model: `normalise(mentions)` does, in this order,

1. surface clean-up: possessives (`Joe Biden’s`, `US'`), a leading "the", wrapping quotes and brackets,
   lower-case words a person span started with ("torture Rachel Stroumsa");
2. titles: `President Joe Biden` inside a span, or `Secretary of State` just before it, becomes the
   person's role; the words of such a title are never entities themselves (`State` in "Secretary of State");
3. junk: labels nobody filters on, single letters, numbers, boilerplate, glued words, URLs, mojibake, a
   title alone ("Queen"), agency credits ("(Reuters)", "/TASS/"), Title Case headline runs;
4. label fixes that are safe: a known country (pycountry) becomes GPE with its ISO 3166 alpha-2 code, a
   national capital labelled ORG (a government by metonymy: "Washington said") or PERSON becomes GPE, unless
   the name is also a person's ("Jordan", "Paris"); regions and provinces are not relabelled (pycountry's
   subdivisions collide with clubs and people: "Bayern", "Kerry", "Western");
5. short mentions: a one-word mention equal to a word of a full person name in the same article is that
   person (`Blinken` -> `Antony Blinken`, `Lai` -> `Lai Ching-te`), whatever label the
   model gave it, unless the word is itself a country or a capital; an acronym equal to the initials of an
   organisation in the article, or in brackets right after it, is that organisation (`DPP` -> `Democratic
   Progressive Party`);
6. grouping: the same name in different case or with/without "the" or dots is one entity; its label is the
   majority label of its mentions.

Capitals. `Beijing` and `Washington` stay places (GPE) and get role="capital": a search for the United
States does not silently return Washington, but an alert can still ask for "capitals" or pair a capital
with its country through `capital_country()`. `code` stays reserved for countries.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import pycountry

from wiredesk.pipeline.models import Entity
from wiredesk.pipeline.text import AGENCY_SPELLINGS

# Labels users filter on. Dropped: dates, times, numbers, money, percentages, quantities, ordinals (not
# "entities of interest"); WORK_OF_ART, PRODUCT and LANGUAGE because the small model's output for them on
# news text is mostly noise (on a 200-article corpus sample most WORK_OF_ART spans were quote fragments
# and headlines, most PRODUCT spans were people or places). LAW ("Affordable Care Act") and EVENT ("World
# Cup") are rare but clean, so they stay.
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC", "LAW"})

# Order for breaking a tie between labels of the same name.
_LABEL_PRIORITY = ("PERSON", "GPE", "ORG", "LOC", "NORP", "FAC", "EVENT", "LAW")

# Remnants of page furniture that the cleaner may leave and the model may tag.
BOILERPLATE = frozenset(
    {
        "watch",
        "learn more",
        "read more",
        "also read",
        "click here",
        "subscribe",
        "sign up",
        "newsletter",
        "advertisement",
        "comments",
        "view comments",
        "share",
        "related",
        "live",
        "video",
        "photo",
        "image",
        "copyright",
        "all rights reserved",
        "breaking news",
        "getty",
        "getty images",
        "ap photo",
        "newsvine permalink",
    }
)

# A one-word ORG (or PERSON) that is only a common noun of government ("State" out of "Secretary of State",
# "the Ministry" ...): not something anyone can filter on.
GENERIC_ORG_WORDS = frozenset(
    {
        "state",
        "government",
        "department",
        "ministry",
        "administration",
        "secretary",
        "minister",
        "president",
        "office",
        "agency",
        "party",
        "committee",
        "council",
        "court",
        "police",
        "army",
        "military",
        "cabinet",
        "commission",
        "authority",
        "authorities",
        "board",
    }
)


# Words glued by a broken page ("New YearaddresscallingChina’s"): a long run of lower case running into a
# capital. Six letters keeps real camel-case names ("McDonald", "YouTube", "WhatsApp", "BlackRock",
# "HarperCollins", "GlaxoSmithKline") and loses the rare long one ("PricewaterhouseCoopers").
_GLUED = re.compile(r"[a-z]{6,}[A-Z]")

# Lower case only: "Anti-Defamation League", "Trans-Pacific Partnership" are names.
_PREFIXED = re.compile(r"^(?:anti|pro|post|pre|intra|inter|non|ex|mid|neo|pan|trans)-")

# Mojibake, URLs, handles, glued punctuation ("Knesset,-passed"), two names joined by a dash ("Putin - Kremlin").
_BAD_SUBSTRINGS = ("http", "www.", "pic.twitter", "@", "\ufffd", '"', ".-", ",-", ";-", "|", ":", " - ", " – ", " — ")

# Lower-case words before a person's name are not part of it ("torture Rachel Stroumsa"); particles are.
_LEADING_LOWER = re.compile(r"^(?:(?!(?:al|el|bin|ibn|de|da|di|du|van|von|der|la|le)\b)[a-z][\w-]*\s+)+(?=[A-Z])")
# A title word the model ran into after an organisation's name ("Alibaba Executive Chairman Jack Ma").
_TRAILING_TITLE = re.compile(r"\s+(?:Executive|Chairman|Chairwoman|Chief|President|Minister|Secretary|Spokesman)$")
_HEADLINE_FUNCTION_WORDS = frozenset(
    {"With", "Its", "On", "In", "For", "Of", "To", "And", "The", "A", "An", "From", "After", "Over", "As", "At", "By"}
)

_HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", "Prof")

# Titles in display form. Matched case-insensitively ("said State Department spokesman Matthew Miller"),
# except the CAPITALISED_ONLY ones, which are ordinary words in lower case ("in general", "the king").
TITLES = (
    "Secretary of State",
    "Secretary-General",
    "Secretary General",
    "Vice President",
    "Vice-President",
    "President-elect",
    "President",
    "Prime Minister",
    "Deputy Prime Minister",
    "First Minister",
    "Foreign Minister",
    "Foreign Secretary",
    "Home Secretary",
    "Defense Secretary",
    "Defence Secretary",
    "Defense Minister",
    "Defence Minister",
    "Interior Minister",
    "Finance Minister",
    "Economy Minister",
    "Health Minister",
    "Justice Minister",
    "Trade Minister",
    "Energy Minister",
    "Minister",
    "Attorney General",
    "Press Secretary",
    "National Security Adviser",
    "National Security Advisor",
    "Chief of Staff",
    "Chief Executive",
    "First Lady",
    "Supreme Leader",
    "Crown Prince",
    "Chief Justice",
    "Chancellor",
    "Premier",
    "Governor",
    "Mayor",
    "Senator",
    "Congressman",
    "Congresswoman",
    "Ambassador",
    "Envoy",
    "Spokesman",
    "Spokeswoman",
    "Spokesperson",
    "Chairman",
    "Chairwoman",
    "CEO",
    "Commissioner",
    "Speaker",
    "Judge",
    "Justice",
    "King",
    "Queen",
    "Prince",
    "Princess",
    "Pope",
    "General",
    "Gen.",
    "Sen.",
    "Rep.",
    "Gov.",
)
CAPITALISED_ONLY = frozenset(
    {"Judge", "Justice", "King", "Queen", "Prince", "Princess", "Pope", "General", "Speaker", "Premier"}
)
# Display form of each title, keyed by its case-folded form; abbreviations spelt out.
_TITLE_DISPLAY = {t.casefold(): t for t in TITLES} | {
    "sen.": "Senator",
    "rep.": "Representative",
    "gov.": "Governor",
    "gen.": "General",
    "vice-president": "Vice President",
    "secretary-general": "Secretary-General",
    "secretary general": "Secretary-General",
}


def _title_alternation(titles: Iterable[str]) -> str:
    # Longest first so "Foreign Minister" wins over "Minister"; a plural ("Presidents Biden and Xi") counts.
    parts = sorted(titles, key=len, reverse=True)
    return "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in parts)


_CI_TITLES = _title_alternation(t for t in TITLES if t not in CAPITALISED_ONLY)
_CS_TITLES = _title_alternation(CAPITALISED_ONLY)
# "Minister for Health", "Secretary of Defense": a ministry named after the title.
_MINISTRY = r"(?:Minister|Secretary)\s+(?:for|of)\s+(?:the\s+)?[A-Z][\w-]+(?:\s+(?:and\s+)?[A-Z][\w-]+)?"
_TITLE = rf"(?:(?i:{_CI_TITLES})|{_CS_TITLES}|{_MINISTRY})"
_FORMER = r"(?:(?i:former|ex-?)\s*)"
# A title ending right where the name starts: "US Secretary of State |Antony Blinken".
_ROLE_BEFORE = re.compile(rf"(?<![\w-])(?P<former>{_FORMER})?(?P<title>{_TITLE})(?P<plural>s)?\s+$")
# A title at the start of the span itself: "|President Joe Biden|" tagged as one PERSON.
_ROLE_INSIDE = re.compile(rf"^(?P<former>{_FORMER})?(?P<title>{_TITLE})(?P<plural>s)?\s+(?=[A-Z])")
_HONORIFIC = re.compile(rf"^(?:{'|'.join(_HONORIFICS)})\.?\s+(?=[A-Z])")

_POSSESSIVE = re.compile(r"(?:['’][sS]|(?<=[sS])['’])$")
_EDGE_OPEN = "\"“”‘’'([{«»‹›-–—•|*_ "
_EDGE_CLOSE = "\"“”‘’')]}«»‹›-–—•|*_,;:!? "
_KEEP_THE = frozenset({"the hague"})
_PARTICLES = frozenset({"al", "el", "bin", "ibn", "de", "da", "di", "du", "van", "von", "der", "la", "le"})
_ACRONYM_STOPWORDS = frozenset({"of", "the", "and", "for", "on", "in", "de", "la", "du", "des", "&"})


def _display_role(former: str | None, title: str) -> str:
    words = " ".join(title.split())
    display = _TITLE_DISPLAY.get(words.casefold())
    if display is None:  # "Minister for Health": keep the ministry as written, capitalise the title
        display = words[0].upper() + words[1:]
    return f"Former {display}" if former else display


def role_before(prefix: str) -> tuple[str, int] | None:
    """The title that ends right before a name, and where it starts in `prefix` (text up to the name).

    >>> role_before("said US Secretary of State ")
    ('Secretary of State', 8)
    """
    m = _ROLE_BEFORE.search(prefix)
    if m is None:
        return None
    return _display_role(m.group("former"), m.group("title")), m.start()


def strip_title(name: str) -> tuple[str, str | None]:
    """Split honorifics and titles off the front of a person name: ("Joe Biden", "President")."""
    role: str | None = None
    while True:
        if m := _HONORIFIC.match(name):
            name = name[m.end() :]
            continue
        if m := _ROLE_INSIDE.match(name):
            role = role or _display_role(m.group("former"), m.group("title"))
            name = name[m.end() :]
            continue
        return name, role


def clean_surface(text: str) -> str:
    """The name as a user would type it: no possessive, no leading "the", no wrapping punctuation."""
    s = " ".join(text.split())
    # An unbalanced bracket is the edge of a credit or an acronym the span ran into: "(CNN)Syrian",
    # "Party for Freedom (PVV".
    if ")" in s and "(" not in s:
        s = s.rsplit(")", 1)[1]
    elif "(" in s and ")" not in s:
        s = s.split("(", 1)[0]
    for _ in range(3):  # quotes around a possessive around quotes
        before = s
        s = s.strip(_EDGE_OPEN[:-1]).lstrip(_EDGE_OPEN).rstrip(_EDGE_CLOSE)
        s = _POSSESSIVE.sub("", s)
        if s.casefold() not in _KEEP_THE:
            s = re.sub(r"^[Tt]he\s+", "", s)
        if s == before:
            break
    return s


def fold(text: str) -> str:
    """Comparison key: case, accents, dots, apostrophe style and a leading "the" do not matter."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("’", "'").replace(".", "").casefold()
    s = " ".join(s.split())
    return s[4:] if s.startswith("the ") and s != "the hague" else s


# ---------------------------------------------------------------------------------------------- countries


@dataclass(frozen=True)
class Country:
    name: str  # display name, e.g. "United States"
    code: str  # ISO 3166 alpha-2


# pycountry's names are ISO's ("Russian Federation", "Korea, Republic of"); news uses these.
_COUNTRY_DISPLAY = {
    "RU": "Russia",
    "TR": "Turkey",  # ISO's short name is now "Türkiye" (an alias here); English news mostly writes Turkey
    "CD": "Democratic Republic of the Congo",
    "VA": "Vatican City",
    "BN": "Brunei",
    "PS": "Palestine",
    "FM": "Micronesia",
    "VI": "US Virgin Islands",
    "VG": "British Virgin Islands",
    "SX": "Sint Maarten",
}
# Names in common use that pycountry does not carry.
_COUNTRY_ALIASES = {
    "America": "US",
    "Britain": "GB",
    "Great Britain": "GB",
    "Turkey": "TR",
    "Czech Republic": "CZ",
    "Burma": "MM",
    "Ivory Coast": "CI",
    "Cote d'Ivoire": "CI",
    "Swaziland": "SZ",
    "Macedonia": "MK",
    "Holland": "NL",
    "Vatican": "VA",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "DR Congo": "CD",
    "Democratic Republic of Congo": "CD",
    "Republic of Congo": "CG",
    "Republic of the Congo": "CG",
    "Mainland China": "CN",
    "Republic of Korea": "KR",
    "Emirates": "AE",
}
# Abbreviations: matched with their exact case, "US" is the country, "us" is a pronoun.
COUNTRY_ABBREVIATIONS = {
    "US": "US",
    "U.S.": "US",
    "U.S": "US",
    "USA": "US",
    "U.S.A.": "US",
    "UK": "GB",
    "U.K.": "GB",
    "UAE": "AE",
    "U.A.E.": "AE",
    "PRC": "CN",
    "DPRK": "KP",
    "ROK": "KR",
    "DRC": "CD",
}
# Country names that are more often something else in English news: Georgia the US state; no code for them.
_AMBIGUOUS_COUNTRIES = frozenset({"georgia"})
# Country and capital names that are also people's names: a PERSON label on them is not overruled.
_PERSONAL_NAME_PLACES = frozenset(
    {
        "chad",
        "jordan",
        "georgia",
        "india",
        "israel",
        "kenya",
        "jersey",
        "chile",
        "washington",
        "paris",
        "sofia",
        "santiago",
        "kingston",
        "georgetown",
        "lima",
        "victoria",
        "london",
        "nassau",
        "riga",
        "vienna",
        "moroni",
        "apia",
        "praia",
    }
)


def _display_name(c: object) -> str:
    code = str(getattr(c, "alpha_2", ""))
    if code in _COUNTRY_DISPLAY:
        return _COUNTRY_DISPLAY[code]
    common = getattr(c, "common_name", None)
    if common:
        return str(common)
    name = str(getattr(c, "name", ""))
    official = getattr(c, "official_name", None)
    if ", " in name and official and ", " not in str(official):
        return re.sub(r"^the\s+", "", str(official))
    return name.split(", ")[0]


@cache
def _country_index() -> dict[str, Country]:
    index: dict[str, Country] = {}
    by_code: dict[str, Country] = {}
    for c in pycountry.countries:
        country = Country(_display_name(c), str(c.alpha_2))
        by_code[country.code] = country
        names = [country.name, getattr(c, "name", None), getattr(c, "official_name", None)]
        names.append(getattr(c, "common_name", None))
        for n in names:
            if n:
                index.setdefault(fold(str(n)), country)
    for alias, code in _COUNTRY_ALIASES.items():
        index[fold(alias)] = by_code[code]
    for key in _AMBIGUOUS_COUNTRIES:
        index.pop(key, None)
    return index


@cache
def _countries_by_code() -> dict[str, Country]:
    return {c.code: c for c in _country_index().values()}


def country(name: str) -> Country | None:
    """The country a name stands for (`U.S.`, `the United States`, `America` -> United States, US)."""
    name = name.strip()
    if name in COUNTRY_ABBREVIATIONS:
        return _countries_by_code()[COUNTRY_ABBREVIATIONS[name]]
    if len(name) <= 4 and name.replace(".", "").isupper():
        return None  # any other acronym is not a country name ("IT", "ME" ...)
    return _country_index().get(fold(name))


# National capitals, by country. Left out on purpose: Jerusalem (its status is contested, a capital role
# would take sides), and capitals that are mostly something else in English text (Victoria, Male, Kingston
# is kept as Jamaica is its main use in news). A capital with the same name as its country (Singapore,
# Luxembourg) is found as the country first.
CAPITALS: dict[str, tuple[str, ...]] = {
    "AF": ("Kabul",), "AL": ("Tirana",), "DZ": ("Algiers",), "AD": ("Andorra la Vella",), "AO": ("Luanda",),
    "AG": ("Saint John's", "St. John's"), "AR": ("Buenos Aires",), "AM": ("Yerevan",), "AU": ("Canberra",),
    "AT": ("Vienna",), "AZ": ("Baku",), "BS": ("Nassau",), "BH": ("Manama",), "BD": ("Dhaka",),
    "BB": ("Bridgetown",), "BY": ("Minsk",), "BE": ("Brussels",), "BZ": ("Belmopan",), "BJ": ("Porto-Novo",),
    "BT": ("Thimphu",), "BO": ("La Paz", "Sucre"), "BA": ("Sarajevo",), "BW": ("Gaborone",),
    "BR": ("Brasilia", "Brasília"), "BN": ("Bandar Seri Begawan",), "BG": ("Sofia",), "BF": ("Ouagadougou",),
    "BI": ("Gitega",), "CV": ("Praia",), "KH": ("Phnom Penh",), "CM": ("Yaounde", "Yaoundé"), "CA": ("Ottawa",),
    "CF": ("Bangui",), "TD": ("N'Djamena",), "CL": ("Santiago",), "CN": ("Beijing",), "CO": ("Bogota", "Bogotá"),
    "KM": ("Moroni",), "CG": ("Brazzaville",), "CD": ("Kinshasa",), "CR": ("San José",),
    "CI": ("Yamoussoukro",), "HR": ("Zagreb",), "CU": ("Havana",), "CY": ("Nicosia",), "CZ": ("Prague",),
    "DK": ("Copenhagen",), "DM": ("Roseau",), "DO": ("Santo Domingo",), "EC": ("Quito",), "EG": ("Cairo",),
    "SV": ("San Salvador",), "GQ": ("Malabo",), "ER": ("Asmara",), "EE": ("Tallinn",), "SZ": ("Mbabane",),
    "ET": ("Addis Ababa",), "FJ": ("Suva",), "FI": ("Helsinki",), "FR": ("Paris",), "GA": ("Libreville",),
    "GM": ("Banjul",), "GE": ("Tbilisi",), "DE": ("Berlin",), "GH": ("Accra",), "GR": ("Athens",),
    "GD": ("St. George's",), "GT": ("Guatemala City",), "GN": ("Conakry",), "GW": ("Bissau",),
    "GY": ("Georgetown",), "HT": ("Port-au-Prince",), "HN": ("Tegucigalpa",), "HU": ("Budapest",),
    "IS": ("Reykjavik", "Reykjavík"), "IN": ("New Delhi",), "ID": ("Jakarta",), "IR": ("Tehran",),
    "IQ": ("Baghdad",), "IE": ("Dublin",), "IT": ("Rome",), "JM": ("Kingston",), "JP": ("Tokyo",),
    "JO": ("Amman",), "KZ": ("Astana",), "KE": ("Nairobi",), "KI": ("Tarawa",), "KP": ("Pyongyang",),
    "KR": ("Seoul",), "KW": ("Kuwait City",), "KG": ("Bishkek",), "LA": ("Vientiane",), "LV": ("Riga",),
    "LB": ("Beirut",), "LS": ("Maseru",), "LR": ("Monrovia",), "LY": ("Tripoli",), "LI": ("Vaduz",),
    "LT": ("Vilnius",), "MG": ("Antananarivo",), "MW": ("Lilongwe",), "MY": ("Kuala Lumpur",), "ML": ("Bamako",),
    "MT": ("Valletta",), "MH": ("Majuro",), "MR": ("Nouakchott",), "MU": ("Port Louis",), "MX": ("Mexico City",),
    "FM": ("Palikir",), "MD": ("Chisinau", "Chișinău"), "MN": ("Ulaanbaatar", "Ulan Bator"), "ME": ("Podgorica",),
    "MA": ("Rabat",), "MZ": ("Maputo",), "MM": ("Naypyidaw", "Nay Pyi Taw"), "NA": ("Windhoek",),
    "NP": ("Kathmandu",), "NL": ("Amsterdam",), "NZ": ("Wellington",), "NI": ("Managua",), "NE": ("Niamey",),
    "NG": ("Abuja",), "MK": ("Skopje",), "NO": ("Oslo",), "OM": ("Muscat",), "PK": ("Islamabad",),
    "PA": ("Panama City",), "PG": ("Port Moresby",), "PY": ("Asuncion", "Asunción"), "PE": ("Lima",),
    "PH": ("Manila",), "PL": ("Warsaw",), "PT": ("Lisbon",), "QA": ("Doha",), "RO": ("Bucharest",),
    "RU": ("Moscow",), "RW": ("Kigali",), "KN": ("Basseterre",), "LC": ("Castries",), "VC": ("Kingstown",),
    "WS": ("Apia",), "ST": ("Sao Tome", "São Tomé"), "SA": ("Riyadh",), "SN": ("Dakar",), "RS": ("Belgrade",),
    "SL": ("Freetown",), "SK": ("Bratislava",), "SI": ("Ljubljana",), "SB": ("Honiara",), "SO": ("Mogadishu",),
    "ZA": ("Pretoria",), "SS": ("Juba",), "ES": ("Madrid",), "LK": ("Colombo",), "SD": ("Khartoum",),
    "SR": ("Paramaribo",), "SE": ("Stockholm",), "CH": ("Bern", "Berne"), "SY": ("Damascus",), "TW": ("Taipei",),
    "TJ": ("Dushanbe",), "TZ": ("Dodoma",), "TH": ("Bangkok",), "TL": ("Dili",), "TG": ("Lome", "Lomé"),
    "TO": ("Nuku'alofa",), "TT": ("Port of Spain",), "TN": ("Tunis",), "TR": ("Ankara",), "TM": ("Ashgabat",),
    "TV": ("Funafuti",), "UG": ("Kampala",), "UA": ("Kyiv", "Kiev"), "AE": ("Abu Dhabi",), "GB": ("London",),
    "US": ("Washington", "Washington, D.C.", "Washington D.C.", "Washington DC"), "UY": ("Montevideo",),
    "UZ": ("Tashkent",), "VU": ("Port Vila",), "VE": ("Caracas",), "VN": ("Hanoi",), "YE": ("Sanaa", "Sana'a"),
    "ZM": ("Lusaka",), "ZW": ("Harare",),
}  # fmt: skip


@cache
def _capital_index() -> dict[str, str]:
    return {fold(name): code for code, names in CAPITALS.items() for name in names}


def capital_country(name: str) -> str | None:
    """ISO alpha-2 of the country whose capital `name` is (`Washington` -> "US"), else None."""
    return _capital_index().get(fold(name))


def is_place_name(name: str) -> bool:
    return country(name) is not None or capital_country(name) is not None


# ---------------------------------------------------------------------------------------------- junk


def is_junk(name: str, label: str) -> bool:
    """True for what nobody would filter or alert on, whatever the model thought."""
    if label not in KEPT_LABELS:
        return True
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2:  # "A", "J.", "2024", "50-50"
        return True
    low = name.casefold()
    if low in BOILERPLATE:
        return True
    if label in {"ORG", "PERSON"} and low in GENERIC_ORG_WORDS:
        return True
    if label == "PERSON" and low in _TITLE_DISPLAY:  # "Queen", "President": a title, no name
        return True
    if _PREFIXED.match(name):  # "anti-Muslim", "post-Brexit": an attitude or a period, not a name
        return True
    if label == "PERSON" and any(ch.isdigit() for ch in name):
        return True
    if _GLUED.search(name):
        return True
    if any(bad in low for bad in _BAD_SUBSTRINGS):
        return True
    return len(name) > 80 or len(name.split()) > 8


# ---------------------------------------------------------------------------------------------- normalise


@dataclass(frozen=True)
class Mention:
    """One span the model found, and where."""

    text: str
    label: str
    start: int  # character offset in article.body; 0 for the title, kicker and subtitle
    zone: int = 0  # which text it was found in (the title, a block ...): spans never cross zones
    local_start: int = 0  # offset within that text
    in_headline: bool = False  # title, kicker or subtitle
    in_lead: bool = False
    prefix: str = ""  # up to PREFIX_CHARS of the text before the span (a title before a name, a credit)
    suffix: str = ""  # up to SUFFIX_CHARS of the text after it


PREFIX_CHARS = 80
SUFFIX_CHARS = 8


@dataclass
class _Norm:
    surface: str  # the name as written (possessive, "the" and title removed): becomes an alias
    name: str
    label: str
    start: int
    salient: bool
    index: int
    code: str | None = None
    role: str | None = None


def _person_key(name: str) -> str:
    # Middle initials do not make another person: "Donald J. Trump" is "Donald Trump".
    return " ".join(w for w in fold(name).split() if len(w) > 1)


def _group_key(n: _Norm) -> str:
    if n.label == "PERSON":
        return _person_key(n.name)
    k = fold(n.name)
    if n.label == "NORP" and len(k) > 4 and k.endswith("s") and not k.endswith("ss"):
        k = k[:-1]  # "Americans" and "American" are one group
    return k


def _fix_case(name: str, label: str) -> str:
    # Datelines shout ("MOSCOW, Feb 7"): a capitalised place or person reads better; acronyms (<5 letters) stay.
    if label not in {"GPE", "LOC", "PERSON", "NORP"}:
        return name
    return " ".join(w.capitalize() if len(w) >= 5 and w.isupper() and w.isalpha() else w for w in name.split())


def _expand_country_prefix(name: str) -> str:
    # "US Congress", "U.S. Congress" and "United States Congress" are one body.
    head, _, rest = name.partition(" ")
    if rest and head in COUNTRY_ABBREVIATIONS:
        return f"{_countries_by_code()[COUNTRY_ABBREVIATIONS[head]].name} {rest}"
    return name


def _is_attribution(m: Mention, name: str) -> bool:
    """ "(Reuters)", "/TASS/", "(AFP/Reuters)": a credit, not a mention of the agency."""
    before = m.prefix.rstrip()[-1:]
    after = m.suffix.lstrip()[:1]
    is_agency = all(fold(part) in AGENCY_SPELLINGS for part in name.split("/"))
    return is_agency and ((before == "(" and after == ")") or (before == "/" and after == "/"))


def _is_headline_run(m: Mention, name: str) -> bool:
    """A run of Title Case headline words the model took for a name: "GOP Rushes Forward With Its Health
    Care Bill". Only in headlines, only long spans with a capitalised function word; a real name of that
    shape ("Council On Foreign Relations") is lost only if the body never names it."""
    words = name.split()
    return m.in_headline and len(words) >= 5 and any(w in _HEADLINE_FUNCTION_WORDS for w in words[1:])


def _parenthesised_acronyms(mentions: Sequence[Mention]) -> dict[str, str]:
    """ "Democratic Progressive Party (DPP)": an acronym in brackets right after an organisation is that
    organisation, also when the model cut the long name short ("Public Committee Against Torture (PCATI)",
    whose initials no longer match)."""
    out: dict[str, str] = {}
    by_zone: dict[int, list[Mention]] = {}
    for m in mentions:
        by_zone.setdefault(m.zone, []).append(m)
    for ms in by_zone.values():
        ms.sort(key=lambda m: m.local_start)
        for before, m in pairwise(ms):
            acronym = clean_surface(m.text).replace(".", "")
            long_name = clean_surface(before.text)
            gap = m.local_start - (before.local_start + len(before.text))
            if (
                before.label == "ORG"
                and 2 <= len(acronym) <= 6
                and acronym.isalpha()
                and acronym.isupper()
                and m.prefix.endswith("(")
                and gap in (1, 2)
                and len(long_name.split()) > 1
                and acronym[0] == long_name[0]
            ):
                out.setdefault(acronym, long_name)
    return out


def _drop_title_words(mentions: Sequence[Mention]) -> list[Mention]:
    """Spans inside a title in front of a person ("State" in "Secretary of State Antony Blinken")."""
    by_zone: dict[int, list[Mention]] = {}
    for m in sorted(mentions, key=lambda m: m.local_start):
        by_zone.setdefault(m.zone, []).append(m)
    starts = {zone: [m.local_start for m in ms] for zone, ms in by_zone.items()}
    inside: set[int] = set()
    for m in mentions:
        found = role_before(m.prefix) if m.label == "PERSON" else None
        if found is None:
            continue
        title_start = m.local_start - (len(m.prefix) - found[1])
        lo = bisect_left(starts[m.zone], title_start)
        hi = bisect_left(starts[m.zone], m.local_start)
        inside.update(id(o) for o in by_zone[m.zone][lo:hi] if o.label != "PERSON")
    return [m for m in mentions if id(m) not in inside]


def _first_pass(mentions: Sequence[Mention]) -> list[_Norm]:
    out: list[_Norm] = []
    for i, m in enumerate(mentions):
        label = m.label
        name, role = strip_title(clean_surface(m.text))
        if role is not None and label in {"ORG", "NORP", "GPE"}:
            label = "PERSON"  # "President Trump" tagged ORG: a person title makes it a person
        if label == "PERSON":
            name = _LEADING_LOWER.sub("", name)  # "torture Rachel Stroumsa": a span that started early
            if role is None:
                found = role_before(m.prefix)
                role = found[0] if found else None
        elif label == "ORG":
            name = _TRAILING_TITLE.sub("", name)  # "Alibaba Executive (Chairman Jack Ma)"
        if is_junk(name, label) or _is_attribution(m, name) or _is_headline_run(m, name):
            continue
        # Point at the name itself, past a "the" or a title the span included.
        start = m.start + max(m.text.find(name), 0) if not m.in_headline else 0
        n = _Norm(name, name, label, start, m.in_headline or m.in_lead, i, role=role if label == "PERSON" else None)
        overrule_person = label != "PERSON" or fold(name) not in _PERSONAL_NAME_PLACES
        c = country(name)
        if c is not None and overrule_person:
            n.name, n.label, n.code, n.role = c.name, "GPE", c.code, None
        elif label in {"GPE", "ORG", "LOC", "PERSON"} and capital_country(name) and overrule_person:
            n.label, n.role = "GPE", "capital"
        elif label == "ORG":
            n.name = _expand_country_prefix(name)
        if n.code is None:
            n.name, n.surface = _fix_case(n.name, n.label), _fix_case(n.surface, n.label)
        out.append(n)
    return out


def _resolve_short_names(norms: list[_Norm]) -> None:
    """One-word mentions of a person named in full elsewhere in the article take the full name."""
    # Family or given name -> the full-name mentions it could stand for, in text order.
    by_word: dict[str, list[_Norm]] = {}
    for f in sorted(norms, key=lambda n: (n.start, n.index)):
        words = f.name.split()
        if f.label == "PERSON" and len(words) > 1:
            # Any word: "Fasci" for "Aldo Fasci Zuazua" (Spanish names put the family name in the middle).
            for w in {fold(w) for w in words} - _PARTICLES:
                by_word.setdefault(w, []).append(f)
    if not by_word:
        return
    positions = {w: [(f.start, f.index) for f in fs] for w, fs in by_word.items()}
    for n in norms:
        if len(n.name.split()) != 1 or n.code is not None or n.role == "capital":
            continue
        candidates = by_word.get(fold(n.name))
        if not candidates or (n.label != "PERSON" and is_place_name(n.name)):
            continue
        # Several people share the word ("Trump"): the one named most recently before this mention, else
        # the first one named.
        at = bisect_right(positions[fold(n.name)], (n.start, n.index))
        target = candidates[at - 1] if at else candidates[0]
        n.name, n.label = target.name, "PERSON"


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w and w.casefold() not in _ACRONYM_STOPWORDS]
    return "".join(w[0] for w in words if w[0].isupper())


def _resolve_acronyms(norms: list[_Norm], defined: Mapping[str, str]) -> None:
    """An acronym that spells the initials of an organisation in the article, or that the article defines
    in brackets after it, is that organisation."""
    long_orgs: dict[str, str] = dict(defined)
    for n in norms:
        if n.label == "ORG" and len(n.name.split()) > 1:
            long_orgs.setdefault(_initials(n.name), n.name)
    for n in norms:
        bare = n.name.replace(".", "")
        if n.code is None and 2 <= len(bare) <= 6 and bare.isupper() and bare.isalpha() and bare in long_orgs:
            n.name, n.label = long_orgs[bare], "ORG"


def _well_cased(name: str) -> int:
    if not any(ch.isupper() for ch in name):
        return 0
    return 1 if name.isupper() and len(name.replace(".", "")) > 4 else 2


def _entity(norms: list[_Norm]) -> Entity:
    norms = sorted(norms, key=lambda n: (n.start, n.index))
    labels = Counter(n.label for n in norms)
    if any(n.code for n in norms):
        label = "GPE"
    else:
        label = max(labels, key=lambda lab: (labels[lab], -_LABEL_PRIORITY.index(lab)))
    names = Counter(n.name for n in norms)  # in order of first mention: max() keeps the earliest on a tie
    name = max(names, key=lambda nm: (_well_cased(nm), names[nm], len(nm)))
    if label == "PERSON":
        role = next((n.role for n in norms if n.label == "PERSON" and n.role), None)
    else:
        role = "capital" if label == "GPE" and any(n.role == "capital" for n in norms) else None
    aliases: list[str] = []
    seen = {fold(name)}
    for n in norms:
        if fold(n.surface) not in seen and _well_cased(n.surface):
            seen.add(fold(n.surface))
            aliases.append(n.surface)
    return Entity(
        name=name,
        label=label,
        mentions=len(norms),
        first_position=norms[0].start,
        salient=any(n.salient for n in norms),
        aliases=tuple(aliases),
        code=next((n.code for n in norms if n.code), None),
        role=role,
    )


def normalise(mentions: Sequence[Mention]) -> tuple[Entity, ...]:
    """The article's entities from its raw mentions (see the module docstring for the rules)."""
    norms = _first_pass(_drop_title_words(mentions))
    _resolve_short_names(norms)
    _resolve_acronyms(norms, _parenthesised_acronyms(mentions))
    groups: dict[str, list[_Norm]] = {}
    for n in norms:
        groups.setdefault(_group_key(n), []).append(n)
    entities = [
        _entity(g)
        for g in groups.values()
        # Never written with a capital letter: a common noun the model mistook ("the state department"
        # alone), not a name; it survives only as a mention of a capitalised form.
        if any(_well_cased(n.name) for n in g)
    ]
    return tuple(sorted(entities, key=lambda e: (e.first_position, e.name)))
