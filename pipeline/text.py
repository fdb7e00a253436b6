"""What wiredesk knows about news text, in one place: sentences, quotations, and the agencies that credit wire
copy. The clean stage, learned boilerplate, dedup and the entity normalisation all read text through these."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------------------------------

_ABBREVIATIONS = _words(
    "mr mrs ms dr prof sen sens rep reps gov gen lt col sgt capt cmdr adm maj st jr sr rev fr no nos vs inc corp co"
    " ltd bros dept univ approx est fig mt ft jan feb mar apr jun jul aug sep sept oct nov dec"
)
# A run of sentence punctuation, closing quotes/brackets, then the space before the next sentence. A "-" may follow:
# the corpus turned no-break spaces into hyphens ("Dublin.- The incident").
_BOUNDARY_RE = re.compile(r"[.!?…]+[\"”’')\]-]*\s+")
_INITIALS_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")
# Breaks the text lost: before a marker that always opens a unit of boilerplate (HuffPost: `...very much!"?Share this
# slide: ...`, `https://t.co/x Share this slide:`, Al Jazeera's `@handle Source:-Al Jazeera`), and after a quotation
# closed by a full stop and glued to the next sentence (`widely spread."Sign up here...`). Splitting there only ever
# adds a space.
_HARD_BREAK_RE = re.compile(r"\s*(?=Share this slide:|Source:-)|(?<=[.!][\"”])(?=[A-Z])")


def _is_abbreviation(text: str, dot: int) -> bool:
    word = text[:dot].rsplit(" ", 1)[-1].lstrip("(\"“‘'[")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(_INITIALS_RE.fullmatch(word))


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a normalised one-line paragraph; " ".join(result) gives the paragraph back (plus a space at a
    hard break). Only the text before a full stop decides on a break, so removing a sentence never changes how
    the others split: cleaning stays idempotent."""
    sentences: list[str] = []
    for chunk in _HARD_BREAK_RE.split(paragraph):
        start = 0
        for match in _BOUNDARY_RE.finditer(chunk):
            punctuation = match.group().rstrip()
            if punctuation.rstrip("\"”’')]-") == "." and _is_abbreviation(chunk, match.start()):
                continue
            sentences.append(chunk[start : match.end()].rstrip())
            start = match.end()
        if chunk[start:].strip():
            sentences.append(chunk[start:].strip())
    return [sentence for sentence in sentences if sentence]


def word_count(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------------------------------------------------
# Quotations: a sentence holding one is reporting, whatever else it looks like
# --------------------------------------------------------------------------------------------------------------------

_QUOTATION_RE = re.compile(r"“[^“”]*\w[^“”]*”|\"[^\"]*\w[^\"]*\"")
_CURLY_SPAN_RE = re.compile(r"“[^“”]*”")
# A straight quote opens after a space or bracket and before a non-space, closes after a non-space and before a space
# or punctuation: that leaves out the corpus' stray ones (`don"t`, `"?` standing for a dash).
# (The pattern opens with the quote itself so that the regex engine can scan for it: 6x faster.)
_STRAIGHT_SPAN_RE = re.compile(r"\"(?<![^\s(\[]\")(?=[^\s?\"])[^\"]*?(?<=\S)\"(?=[\s.,;:!?)\]-]|$)")


def quotations(text: str) -> list[str]:
    return _QUOTATION_RE.findall(text)


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """Where the quotations of a paragraph are, across sentences."""
    return [m.span() for m in _CURLY_SPAN_RE.finditer(text)] + [m.span() for m in _STRAIGHT_SPAN_RE.finditer(text)]


# Dedup's quote evidence: a span between any quote marks (« » too) of 10 to 1,500 characters. Looser than a
# quotation above (it needs no sentence context) and bounded, so an unclosed quote mark cannot swallow an article.
_PASSAGE_RE = re.compile(r"[“\"«]([^“”\"«»]{10,1500}?)[”\"»]")
_WORD_RE = re.compile(r"\w+")


def quoted_passages(text: str, min_words: int) -> list[str]:
    """Spans between quote marks with at least `min_words` words, as written (dedup's evidence)."""
    found = []
    for m in _PASSAGE_RE.finditer(unicodedata.normalize("NFKC", text)):
        span = m.group(1).strip(" ,.;:")
        if len(_WORD_RE.findall(span)) >= min_words:
            found.append(span)
    return found


# --------------------------------------------------------------------------------------------------------------------
# Agencies
# --------------------------------------------------------------------------------------------------------------------

# Spellings (lowercased) -> the name recorded in Attribution.agencies.
_AGENCIES = {
    "reuters": "Reuters",
    "reuters health": "Reuters",
    "thomson reuters": "Reuters",
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "dpa": "dpa",
    "kna": "KNA",
    "epd": "epd",
    "sid": "SID",
    "xinhua": "Xinhua",
    "tass": "TASS",
    "itar-tass": "TASS",
    "interfax": "Interfax",
    "ria novosti": "RIA Novosti",
    "bloomberg": "Bloomberg",
    "upi": "UPI",
    "efe": "EFE",
    "ansa": "ANSA",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "anadolu": "Anadolu",
    "aa": "Anadolu",
    "irna": "IRNA",
    "spa": "SPA",
    "wam": "WAM",
    "ani": "ANI",
    "pti": "PTI",
    "ians": "IANS",
    "agencies": "agencies",
    "other agencies": "agencies",
    "other news agencies": "agencies",
    "news agencies": "agencies",
    "wire services": "agencies",
    "wires": "agencies",
    "al jazeera": "Al Jazeera",
    "aljazeera": "Al Jazeera",
    "al jazeera news": "Al Jazeera",
    "cnn": "CNN",
    "bbc": "BBC",
}
# Outlets that credit themselves ("Source: Al Jazeera", "(CNN)"): named, but the story is not wire copy.
_OWN_REPORTING = frozenset({"Al Jazeera", "CNN", "BBC"})
_AGENCY_SEPARATORS_RE = re.compile(r"\s*(?:,|;|&|/|\band\b)\s*")
_AGENCY_SUFFIX_RE = re.compile(r"\s+news agency$|\s+agency$")


def parse_agencies(credit: str) -> tuple[str, ...] | None:
    """("AFP", "dpa") for "AFP, dpa"; None when any part is not a known agency (then it is not a credit line)."""
    names: list[str] = []
    for part in _AGENCY_SEPARATORS_RE.split(credit.strip(" .-–—()")):
        key = _AGENCY_SUFFIX_RE.sub("", part.strip(" .-–—()").lower().replace("-", " ").replace("  ", " "))
        key = key.replace("agence france presse", "agence france-presse").replace("itar tass", "itar-tass")
        if not key:
            continue
        if key not in _AGENCIES:
            return None
        if _AGENCIES[key] not in names:
            names.append(_AGENCIES[key])
    return tuple(names) or None


def is_wire(agencies: Iterable[str]) -> bool:
    return any(name not in _OWN_REPORTING for name in agencies)


# Any one agency spelling, longest first, for credit-line patterns (pipeline/clean_rules.py).
AGENCY_PATTERN = "|".join(sorted((re.escape(name) for name in _AGENCIES), key=len, reverse=True))
# Every spelling of an agency, lower case: "(Reuters)", "/TASS/", "(AFP/Reuters)" in a dateline credit the agency,
# they are not a mention of it (pipeline/entities.py).
AGENCY_SPELLINGS = frozenset(_AGENCIES)


def first_sentence(text: str) -> str:
    """The text's first sentence. A paragraph without closing punctuation (a line like a headline) runs on into
    the next, as the sentence does for a reader."""
    # 2,000 characters hold any first sentence (news leads run to ~60 words); splitting more only costs time.
    return next(iter(split_sentences(" ".join(text[:2000].split()))), "")
