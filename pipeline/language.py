"""Cheap language identification, no dependency and no model: enough to keep non-English text away from
an English NER model.

Two signals: the writing system (Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, Hangul, kana, Han each
point at one likely language), and for Latin script the share of words that are among the most frequent
function words of English, German, French, Spanish, Italian, Portuguese and Dutch. Function words make up
30-50 % of running text in those languages and the lists below overlap little, so a few sentences suffice.
Latin-script text in none of them gets "xx" (unknown), which the enrich stage treats as non-English.
"""

from __future__ import annotations

import re

UNKNOWN = "xx"
# Below this many words there is too little to judge; the feed is English, so assume it.
MIN_WORDS = 8
# A language wins only if at least this share of the words are its function words. English news text
# scores 0.35-0.50 on its list, other languages score < 0.10 on it.
MIN_SHARE = 0.15
SAMPLE_CHARS = 4000
SHORT_TEXT_WORDS = 40


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to in is that for it was on with as by at from his her they have has had be been were are "
        "this which who will would said not but an or their its after about more than he she also we there "
        "what when"
    ),
    "de": _words(
        "der die das und ist nicht mit den dem des ein eine einen sich auf für von zu im auch es sie wir ich "
        "werden wurde hat haben sind war bei nach aus wie oder aber noch nur über dass einer vor"
    ),
    "fr": _words(
        "le la les des du et est une un dans pour que qui pas sur au aux avec ce cette il elle sont ont été "
        "mais plus par ne se leur nous vous était être comme où ou aussi entre"
    ),
    "es": _words(
        "el los las del y que en un una por para con no es se su sus al lo como más pero fue ha han este "
        "esta entre sobre también son está desde muy ya hasta porque cuando"
    ),
    "it": _words(
        "il lo gli della delle dei degli che è e di un una per con non sono nel nella alla al anche come più "
        "ma si ha hanno questo questa stato essere dopo tra dal dalla le i in da del sul nelle alle tutti tutte loro "
        "ancora molto dove"
    ),
    "pt": _words(
        "o os as do da dos das e que em um uma para com não no na nos por mais se foi ao é são como mas "
        "também seu sua pelo pela está ser entre já quando muito"
    ),
    "nl": _words(
        "de het een en van is dat op te in niet met voor zijn er maar ook als bij aan uit om door naar werd "
        "wordt hij ze dit deze heeft hebben nog geen worden kan over of"
    ),
}

# (first code point, last code point, language) for scripts that mostly mean one language in news.
SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x04FF, "ru"),  # Cyrillic: Russian is the best single guess (also uk, bg, sr ...)
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"),  # Arabic script: also fa, ur
    (0x0900, 0x097F, "hi"),
    (0x0E00, 0x0E7F, "th"),
    (0x3040, 0x30FF, "ja"),  # kana
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),  # Han: Chinese, unless kana says Japanese
)

_WORD = re.compile(r"[^\W\d_]+")


def _script_language(text: str) -> str | None:
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        cp = ord(ch)
        if cp < 0x0370:
            continue
        for lo, hi, lang in SCRIPTS:
            if lo <= cp <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not letters or sum(counts.values()) < letters / 2:
        return None
    if counts.get("ja"):  # Japanese mixes kana with Han
        return "ja"
    return max(counts, key=lambda lang: counts[lang])


def _hits(words: list[str]) -> dict[str, int]:
    return {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}


def language_scores(text: str) -> dict[str, float]:
    """Share of the words that are function words of each language."""
    words = _WORD.findall(text[:SAMPLE_CHARS].casefold())
    return {lang: n / max(len(words), 1) for lang, n in _hits(words).items()}


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("en", "de", "ru" ...), or "xx" when it is none we can tell."""
    sample = text[:SAMPLE_CHARS]
    by_script = _script_language(sample)
    if by_script is not None:
        return by_script
    words = _WORD.findall(sample.casefold())
    if len(words) < MIN_WORDS:
        return "en"
    hits = _hits(words)
    best, runner_up = sorted(hits, key=lambda lang: hits[lang], reverse=True)[:2]
    if hits[best] >= MIN_SHARE * len(words):
        return best
    # A caption, a list, a sentence full of names: fewer function words, but still a clear winner.
    if hits[best] >= 3 and hits[best] >= 2 * hits[runner_up] and hits[best] >= 0.05 * len(words):
        return best
    # A short text (a caption, a one-line teaser): the one language with any evidence wins; with none at
    # all in a few words (a list of names) nothing says it is not English. Fifteen words of running text
    # with no function word at all is itself a sign of another language.
    if len(words) < SHORT_TEXT_WORDS and hits[best] >= 1 and hits[runner_up] == 0:
        return best
    if hits[best] == 0 and len(words) < 15:
        return "en"
    return UNKNOWN
