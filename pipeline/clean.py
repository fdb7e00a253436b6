"""Cleaning stage: a RawArticle in, the article and nothing else out (issue "Cleaning to newsroom quality").

`clean(raw)` is pure (no I/O, clock or model) and raises only `InvalidInput`, when nothing of an article is left.
In order:

1. HTML goes through trafilatura (main text, one line per paragraph; scripts, styles, navigation dropped); without
   trafilatura, or when it finds nothing, tags are stripped crudely, script/style contents first.
2. Text repair (pipeline/clean_rules.py): NFC, mojibake, spaces, glued words; hard-wrapped lines are re-joined.
3. Breadcrumbs ("• Wion", "• /World", "• /<headline> - World News") are removed; they give `source` and confirm the
   headline.
4. Structure, from the lines at the top (only when RawArticle.title is not given, see below):
   * kicker: a tag line of at most three capitalised words above the story ("Antony Blinken");
   * title: the first headline-like line (one sentence, no full stop, followed by more text); its repeats are
     removed as "repeated_headline";
   * subtitle: a headline-like line right under the title and its repeats ("Blinken meets Chinese officials"): a
     standfirst has no full stop either, while a lead always has one, so a lead is never taken for a subtitle;
   * without a headline line the title is the lead's first sentence, cut at a word boundary.
   With a given title only its repeats at the top are removed (and a subtitle under them is recognised): the title
   is already known, and looking for a kicker in a body that was cleaned before would not be idempotent.
5. Boilerplate, per paragraph: widget spans (share bars, embedded-tweet signatures...), then "READ MORE: <headline>"
   promotions, then whole sentences matched by a rule. The end of the article gets a second look that walks back
   from the last sentence removing credits, bylines, taglines, call-outs until the first sentence of reporting.
   Every removal is recorded in `removed` as RemovedLine(text, rule).
6. An agency dateline opening the lead ("WASHINGTON (Reuters) - ", "MOSCOW, March 14. /TASS/.") is removed; it
   and the credit lines make `attribution` (wire_derived when a wire agency, not only the outlet itself, is named).
7. Steps 5-6 repeat until nothing changes, so that what a removal leaves is judged as a second cleaning would judge
   it: that is what makes clean() idempotent. If only the headline survives, it is the story.
8. Blocks: a short headline-like line between paragraphs is a HEADING ("What did the officials discuss?"); the
   rest are PARAGRAPHs.

Properties (tests/test_clean.py): idempotent on (body, title); the body never has more non-whitespace characters
than the NFC-normalised input (repairs only add spaces); no rule removes text that is part of a quotation.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from wiredesk.pipeline import clean_rules as rules
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import (
    Attribution,
    Block,
    BlockKind,
    CleanedArticle,
    ContentType,
    RawArticle,
    RemovedLine,
)
from wiredesk.pipeline.text import is_wire, quotation_spans, quotations, split_sentences, word_count

# The derived title is cut near here: longer titles are truncated by the alert and search views anyway, and the
# corpus' real headlines have a median of 56 and a 95th percentile near 100 characters.
TITLE_MAX_CHARS = 120
# No real headline in the corpus is longer than 209 characters; a longer line is a paragraph.
HEADLINE_MAX_CHARS = 200
# A kicker is a tag, not a sentence: "Antony Blinken", "Brexit", "Taiwan Elections 2024".
KICKER_MAX_WORDS = 3
# Section headings inside a story are short ("Discussions about Taiwan", "What did the officials discuss?").
HEADING_MAX_WORDS = 12

_BREADCRUMB_RE = re.compile(r"[•›»·]\s*/?\s*(?P<item>.+)|(?P<trail>(?:Home|News)(?:\s*[>›»|]\s*[^>›»|]{1,40}){1,6})")
_SECTION_SUFFIX_RE = re.compile(r"\s+[-|–—]\s+[^-|–—]{1,40}$")
_SENTENCE_END_RE = re.compile(r"[.;,:…]$")
_SENTENCE_MARK_RE = re.compile(r"[.!?]")
_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass
class _Record:
    removed: list[RemovedLine] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)

    def remove(self, text: str, rule: str) -> None:
        if text:
            self.removed.append(RemovedLine(text=text, rule=rule))

    def credit(self, agencies: tuple[str, ...]) -> None:
        self.agencies.extend(a for a in agencies if a not in self.agencies)


def clean(raw: RawArticle) -> CleanedArticle:
    """The article of `raw` without boilerplate, with its structure; InvalidInput when nothing of it is left."""
    if raw.wire.is_kill:
        return _kill_notice(raw)
    text, html_title = raw.text, None
    if raw.content_type is ContentType.HTML:
        text, html_title = html_to_text(text)
    if not text.strip():
        raise InvalidInput("empty article: the text is empty or whitespace only")
    lines = _lines(text)
    if not any(_LETTER_RE.search(line) for line in lines):
        raise InvalidInput("not an article: the text has no letters")

    record = _Record()
    lines, crumb_source, crumb_headline = _breadcrumbs(lines, record)
    title: str | None = _one_line(raw.title or html_title or "")
    kicker: str | None = None
    if title:
        subtitle, lines = _after_given_title(lines, title, record)
        headline_line = None
    else:
        title, kicker, subtitle, lines = _structure(lines, crumb_headline, record)
        headline_line = title

    texts, title = _body(lines, title, record)
    if not any(_LETTER_RE.search(t) for t in texts) and (subtitle or headline_line):
        # Only the headline (and its standfirst) survived the boilerplate: that is the story, not nothing.
        texts, title = _body([subtitle or headline_line or ""], title, record)
        subtitle = None
    if not any(_LETTER_RE.search(t) for t in texts):  # digits or punctuation alone are no article either
        reasons = sorted({r.rule for r in record.removed})
        raise InvalidInput(f"nothing but boilerplate: {len(record.removed)} parts removed ({', '.join(reasons)})")
    blocks = tuple(
        Block(kind=BlockKind.HEADING if i + 1 < len(texts) and _is_heading(t) else BlockKind.PARAGRAPH, text=t)
        for i, t in enumerate(texts)
    )
    lead = next(b.text for b in blocks if b.kind is BlockKind.PARAGRAPH)
    removed_dateline = next((r.text for r in record.removed if r.rule == "dateline"), None)
    dateline = raw.wire.located or rules.dateline_place(removed_dateline or lead)
    return CleanedArticle(
        article_id=raw.article_id,
        origin=raw.origin,
        source=raw.source or crumb_source,
        url=raw.url,
        published_at=raw.published_at,
        received_at=raw.received_at,
        title=title or title_from_lead(lead),
        kicker=kicker,
        subtitle=subtitle,
        dateline=dateline,
        blocks=blocks,
        attribution=Attribution(wire_derived=is_wire(record.agencies), agencies=tuple(record.agencies)),
        removed=tuple(record.removed),
        wire=raw.wire,
    )


def _kill_notice(raw: RawArticle) -> CleanedArticle:
    """A kill carries no story to clean (often no text at all): it only has to reach dedup and the index under
    its article id, with its wire facts."""
    return CleanedArticle(
        article_id=raw.article_id,
        origin=raw.origin,
        source=raw.source,
        url=raw.url,
        published_at=raw.published_at,
        received_at=raw.received_at,
        title=_one_line(raw.title or "") or "(killed)",
        blocks=(),
        wire=raw.wire,
    )


def _body(lines: list[str], title: str | None, record: _Record) -> tuple[list[str], str | None]:
    """The paragraphs of the story from its lines (boilerplate out, dateline off), and its title.

    Repeated until nothing changes: what a removal leaves (a new first or last sentence, one sentence where there
    were two, a second promotion, a headline-like line on top) is judged again, exactly as cleaning the result a
    second time would judge it. Most articles settle after one pass and a check."""
    popped = None
    while True:
        texts = _body_pass(lines, record)
        if title:
            _drop_repeats(texts, 0, {_key(title)}, record)
        elif len(texts) > 1 and _is_display_line(texts[0]) and any(_LETTER_RE.search(t) for t in texts[1:]):
            # What boilerplate hid ("<headline> WATCH |...") is a headline once it is gone.
            title = popped = texts.pop(0)
        if texts == lines:
            break
        lines = texts
    if popped is not None and not any(_LETTER_RE.search(t) for t in texts):
        return _body([popped], None, record)  # nothing followed that headline after all: it is the story
    return texts, title


def _body_pass(lines: list[str], record: _Record) -> list[str]:
    if lines:
        lines = [_strip_dateline(lines[0], record), *lines[1:]]
    paragraphs = [_clean_paragraph(line, own_lines=len(lines) > 1, record=record) for line in lines]
    _strip_tail(paragraphs, record)
    paragraphs = [p for p in paragraphs if p]
    # Crumbs can also sit between the headline and the story, or be all that is left of a first line.
    while paragraphs and len(paragraphs[0]) == 1 and _crumb(paragraphs[0][0][0]):
        record.remove(paragraphs.pop(0)[0][0], "breadcrumb")
    # A removal can cut a chunk the glue repair had left alone ("inChinapic.twitter.com/x" is an address, "inChina"
    # is glued words): repair again.
    return [rules.repair_glue(" ".join(sentence for sentence, _ in p)) for p in paragraphs]


# --------------------------------------------------------------------------------------------------------------------
# Text and lines
# --------------------------------------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Non-empty repaired lines. A line broken in the middle of a sentence (no punctuation at its end, a lowercase
    letter starting the next one, no blank line between) is joined back: that is a hard wrap, not a paragraph."""
    lines: list[str] = []
    follows_blank = True
    for line in rules.repair_glue(rules.normalise_text(text)).split("\n"):
        if not line:
            follows_blank = True
            continue
        if lines and not follows_blank and line[0].islower() and lines[-1][-1].isalnum():
            lines[-1] += " " + line
        else:
            lines.append(line)
        follows_blank = False
    return lines


def _one_line(text: str) -> str:
    return " ".join(_lines(text)) if text.strip() else ""


def _key(text: str) -> str:
    """What makes two headline lines the same: case and spacing do not, quotes and punctuation do."""
    return " ".join(text.casefold().split())


# --------------------------------------------------------------------------------------------------------------------
# Breadcrumbs and structure
# --------------------------------------------------------------------------------------------------------------------


def _crumb(line: str) -> tuple[str, bool] | None:
    """(item, is a path) when `line` is a breadcrumb: a bulleted line naming a section ("• /World"), the outlet
    ("• Wion") or the page ("• /<headline> - World News"), or a "Home > World" trail. A bulleted sentence ("• Five
    people died.") is a key point of the story, and a line with a quotation is reporting."""
    match = _BREADCRUMB_RE.fullmatch(line)
    if match is None or quotations(line):
        return None
    item = (match.group("item") or "").strip()
    path = line[1:].lstrip().startswith("/")
    if item and not path and (word_count(item) > KICKER_MAX_WORDS + 1 or _SENTENCE_MARK_RE.search(item)):
        return None
    return item, path


def _breadcrumbs(lines: list[str], record: _Record) -> tuple[list[str], str | None, str | None]:
    """Leading breadcrumb lines removed; the outlet (first crumb) and the headline (last long crumb) they name."""
    source = headline = None
    count = 0
    while count < len(lines) and (crumb := _crumb(lines[count])):
        item, path = crumb
        if item and count == 0 and not path:
            source = item
        elif item and path and word_count(item) > KICKER_MAX_WORDS:
            headline = _SECTION_SUFFIX_RE.sub("", item)
        record.remove(lines[count], "breadcrumb")
        count += 1
    return lines[count:], source, headline


def _is_headline(line: str) -> bool:
    """One sentence without a full stop at its end: headlines, standfirsts, kickers, section headings."""
    return (
        len(line) <= HEADLINE_MAX_CHARS
        and not _SENTENCE_END_RE.search(line.rstrip("\"”’')"))
        and len(split_sentences(line)) == 1
        and (line[0].isupper() or line[0].isdigit() or line[0] in "\"“‘'")
    )


def _is_display_line(line: str) -> bool:
    """A headline-like line that no boilerplate rule claims ("WATCH |...", "By Jane Doe" are not headlines)."""
    return (
        _is_headline(line)
        and not rules.find_promo_marker(line)
        and rules.classify(line, own_line=True, in_tail=True) is None
    )


def _is_kicker(line: str) -> bool:
    words = line.split()
    return (
        _is_headline(line)
        and len(words) <= KICKER_MAX_WORDS
        and line[-1] not in "?!"
        and all(w[0].isupper() or w[0].isdigit() for w in words)
    )


def _is_heading(text: str) -> bool:
    return _is_headline(text) and word_count(text) <= HEADING_MAX_WORDS and text[0] not in "\"“‘'"


def _drop_repeats(lines: list[str], start: int, headlines: set[str], record: _Record) -> int:
    """Removes repeats of the headline among the headline-like lines from `start`; returns the next line's index.
    A repeat is kept when no words would follow it: an article whose title was made from its only line (or only
    line with letters) keeps its text."""
    headlines = headlines - {""}  # a "title" of punctuation repeats nothing
    while (
        start < len(lines) - 1
        and _is_display_line(lines[start])
        and _key(lines[start]) in headlines
        and any(_LETTER_RE.search(line) for line in lines[start + 1 :])
    ):
        record.remove(lines.pop(start), "repeated_headline")
    return start


def _subtitle_at(lines: list[str], index: int) -> str | None:
    if index < len(lines) - 1 and _is_display_line(lines[index]):
        return lines.pop(index)
    return None


def _structure(
    lines: list[str], crumb_headline: str | None, record: _Record
) -> tuple[str | None, str | None, str | None, list[str]]:
    lines = list(lines)
    kicker = title = subtitle = None
    index = 0
    # A kicker sits above a headline or the lead, never alone.
    if (
        len(lines) > 1
        and _is_kicker(lines[0])
        and _is_display_line(lines[0])
        and _key(lines[0]) != _key(crumb_headline or "")
    ):
        kicker = lines[0]
        index = 1
    if index < len(lines) - 1 and _is_display_line(lines[index]):
        title = lines.pop(index)
        repeats = {_key(title)} | ({_key(crumb_headline)} if crumb_headline else set())
        index = _drop_repeats(lines, index, repeats, record)
        subtitle = _subtitle_at(lines, index)
    return title, kicker, subtitle, lines[1:] if kicker is not None else lines


def _after_given_title(lines: list[str], title: str, record: _Record) -> tuple[str | None, list[str]]:
    lines = list(lines)
    before = len(record.removed)
    _drop_repeats(lines, 0, {_key(title)}, record)
    subtitle = _subtitle_at(lines, 0) if len(record.removed) > before else None
    return subtitle, lines


def title_from_lead(lead: str) -> str:
    """The lead's first sentence as a title, cut at a word boundary with "…" when longer than TITLE_MAX_CHARS."""
    first = (split_sentences(lead) or [lead])[0]
    if len(first) <= TITLE_MAX_CHARS:
        return first
    cut = first.rfind(" ", 0, TITLE_MAX_CHARS)
    # No space in the second half of the limit: one enormous token, cut it where it is.
    head = first[:cut] if cut > TITLE_MAX_CHARS // 2 else first[:TITLE_MAX_CHARS]
    return head.rstrip(" ,;:–—-") + "…"


# --------------------------------------------------------------------------------------------------------------------
# Boilerplate
# --------------------------------------------------------------------------------------------------------------------


# A sentence of a paragraph, and whether it is part of a quotation (then no rule may remove it).
_Sentence = tuple[str, bool]


def _clean_paragraph(line: str, *, own_lines: bool, record: _Record) -> list[_Sentence]:
    """The sentences of one line that are the article."""
    text, spans = rules.remove_inline(line)
    for span, rule_name, agencies in spans:
        record.remove(span, rule_name)
        record.credit(agencies)
    quoted_spans = quotation_spans(text)
    sentences = split_sentences(text)
    whole_line = own_lines and len(sentences) == 1
    kept: list[_Sentence] = []
    position = 0
    for index, sentence in enumerate(sentences):
        start = text.find(sentence, position)
        position = start + len(sentence)
        # Shift the quotations to this sentence's offsets, so that what it keeps can be checked against them.
        local = [(a - start, b - start) for a, b in quoted_spans if a < position and start < b]
        rest = _strip_promo(sentence, local, whole_line=whole_line, at_end=index == len(sentences) - 1, record=record)
        if not rest:
            continue
        quoted = bool(local)
        rule = None if quoted else rules.classify(rest, own_line=whole_line, in_tail=False)
        if rule is None:
            kept.append((rest, quoted))
            continue
        record.remove(rest, rule.name)
        record.credit(rules.credited_agencies(rule, rest))
        # A caption's text ("- An employee works on the line...") comes right before its credit line.
        if rule.name == "caption" and kept and kept[-1][0].startswith("- ") and not kept[-1][1]:
            record.remove(kept.pop()[0], "caption")
    return kept


def _strip_promo(
    sentence: str, quoted: list[tuple[int, int]], *, whole_line: bool, at_end: bool, record: _Record
) -> str:
    """The sentence without a "READ MORE: <headline>" promotion. On a line of its own the promotion is the line;
    inside a flattened paragraph its headline ends where the next sentence visibly starts, and when that cannot be
    seen the sentence is kept whole: better a stray headline than a lost sentence."""
    marker = rules.find_promo_marker(sentence)
    if marker is None:
        return sentence
    before, after = sentence[: marker.start()], sentence[marker.end() :]
    if whole_line and not before and word_count(sentence) <= 2 * rules.MAX_HEADLINE_WORDS:
        end: int | None = len(after)
    else:
        end = rules.headline_end(after, at_paragraph_end=at_end)
    if end is None or rules.overlaps(marker.start(), marker.end() + end, quoted):
        return sentence
    promo = (marker.group() + after[:end]).strip()
    record.remove(promo, "promo")
    return " ".join(part for part in (before.strip(), after[end:].strip()) if part)


def _strip_tail(paragraphs: list[list[_Sentence]], record: _Record) -> None:
    """Walks back from the last sentence, removing the run of boilerplate that ends most articles (credits,
    bylines, newsletter boxes, call-outs), and stops at the first sentence of reporting."""
    tagline_budget = 0  # sentences of a newsletter box's tagline still allowed before its "Learn more"
    callout = False
    while paragraphs:
        sentences = paragraphs[-1]
        while sentences:
            sentence, quoted = sentences[-1]
            rule = None
            if not quoted:
                rule = rules.classify(sentence, own_line=len(sentences) == 1 and len(paragraphs) > 1, in_tail=True)
            if rule is not None:
                name = rule.name
                record.credit(rules.credited_agencies(rule, sentence))
            elif not quoted and tagline_budget > 0 and rules.is_tagline(sentence):
                name = "newsletter"
            elif not quoted and callout and rules.is_callout_question(sentence):
                name = "callout"
            else:
                return
            sentences.pop()
            record.remove(sentence, name)
            if sentence.startswith("Learn more"):
                tagline_budget = rules.MAX_TAGLINE_SENTENCES
            elif name == "share":  # "Share this slide: <tagline>" opens the box: nothing before it belongs to it
                tagline_budget = 0
            elif rule is None and name == "newsletter":
                tagline_budget -= 1
            callout = callout or name == "callout"
        paragraphs.pop()


def _strip_dateline(lead: str, record: _Record) -> str:
    found = rules.split_dateline(lead)
    if found is None or rules.overlaps(0, len(found[0]), quotation_spans(lead)):
        return lead
    dateline, agencies, rest = found
    record.remove(dateline, "dateline")
    record.credit(agencies)
    return rest


# --------------------------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------------------------

_HIDDEN_RE = re.compile(
    r"<(script|style|noscript|template|svg|iframe|object|nav|footer|aside|form|button|select)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.I | re.S,
)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_TITLE_RE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_HEAD_RE = re.compile(r"<head\b[^>]*>.*?(?:</head\s*>|\Z)", re.I | re.S)
_BLOCK_TAG_RE = re.compile(
    r"<\s*/?\s*(?:p|div|br|hr|h[1-6]|li|ul|ol|tr|td|th|table|section|article|header|blockquote|pre|figure"
    r"|figcaption|main|dd|dt|dl)\b[^>]*>",
    re.I,
)
_TAG_RE = re.compile(r"<[^>]*>")


def strip_tags(markup: str) -> tuple[str, str | None]:
    """Crude HTML to text (the fallback): hidden elements and comments dropped with their content, block tags
    become line breaks, other tags vanish, entities are decoded."""
    title_match = _TITLE_RE.search(markup)
    title = html.unescape(_TAG_RE.sub("", title_match.group(1))) if title_match else None
    text = _COMMENT_RE.sub(" ", markup)
    text = _HIDDEN_RE.sub("\n", _HEAD_RE.sub("\n", text))
    text = _TAG_RE.sub("", _BLOCK_TAG_RE.sub("\n", text))
    return html.unescape(text), title


def html_to_text(markup: str) -> tuple[str, str | None]:
    """The main text of an HTML page (one paragraph a line) and its title."""
    try:
        import trafilatura  # imported here: only HTML needs it, and it takes a while to load
    except ImportError:
        return strip_tags(markup)
    try:
        document = trafilatura.bare_extraction(
            markup, include_comments=False, include_tables=False, with_metadata=True, deduplicate=False
        )
    except Exception:  # any parser failure on hostile markup must fall back, not dead-letter the article
        document = None
    text = getattr(document, "text", None)
    if not isinstance(text, str) or not text.strip():
        return strip_tags(markup)
    title = getattr(document, "title", None)
    return text, title if isinstance(title, str) else None
