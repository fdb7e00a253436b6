"""What travels on each topic. Every message carries its schema version so a consumer can refuse what it
does not understand instead of mis-reading it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Literal[1] = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def _digest(*parts: str) -> str:
    # 128 bits: collision-free at any realistic archive size, and short enough to read in a log line.
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


def normalise_for_id(text: str) -> str:
    """Case, Unicode form and whitespace do not make a different article."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def article_id_for(
    *, url: str | None, source: str | None, title: str | None, text: str, guid: str | None = None
) -> str:
    """Deterministic id: the same article produced twice gets the same id, hence the same Elasticsearch _id.

    A wire item's guid (ninjs uri, NewsML-G2 guid, feed entry id) names the item across its versions, so a
    writethru or a kill of it gets the id of the version it replaces. Without one a URL identifies an article on
    its own; without either, the source and the normalised text do.
    """
    if guid:
        return _digest("guid", guid.strip())
    if url:
        return _digest("url", url.strip())
    return _digest("text", (source or "").casefold(), normalise_for_id(title or ""), normalise_for_id(text))


class Model(BaseModel):
    # A field this version does not know is passed over, not refused: a newer stage may add one, and the workers
    # of two versions then still run side by side during a rolling upgrade. A change an older consumer would
    # mis-read bumps SCHEMA_VERSION instead, which it refuses. Configuration files are strict (`Strict`).
    model_config = ConfigDict(frozen=True, extra="ignore")


class Strict(Model):
    """For what people write by hand (alert rules): an unknown key is a typo, reported, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ContentType(StrEnum):
    TEXT = "text"
    HTML = "html"


class PubStatus(StrEnum):
    """IPTC publishing status: `canceled` and `withheld` are kills (the item must leave the index)."""

    USABLE = "usable"
    WITHHELD = "withheld"
    CANCELED = "canceled"


class Subject(Model):
    code: str | None = None  # as the provider gave it: a qcode ("medtop:11000000") or a URI
    name: str | None = None


class WireMeta(Model):
    """What a wire format says about an item beyond its text. All optional: a plain text file has none of it."""

    input_format: str = "text"  # text, html, json, ninjs, newsml-g2, rss, atom
    guid: str | None = None  # the item across its versions (ninjs uri, NewsML-G2 guid, feed entry id)
    version: int | None = None  # higher replaces lower for one guid; None = unversioned
    pub_status: PubStatus = PubStatus.USABLE
    byline: str | None = None
    located: str | None = None  # the dateline place as the provider states it ("Washington")
    language: str | None = None  # as the provider states it (BCP 47, e.g. "en", "de-CH")
    urgency: int | None = None  # IPTC 1 (most urgent) to 9
    subjects: tuple[Subject, ...] = ()

    @property
    def is_kill(self) -> bool:
        return self.pub_status is not PubStatus.USABLE


class RawArticle(Model):
    """One article as the producer read it (topic: raw)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str
    origin: str  # where it came from: a file path or a URL, for debugging and the dead-letter queue
    content_type: ContentType = ContentType.TEXT
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    # Added without a schema bump: a message without it is a plain, unversioned article.
    wire: WireMeta = WireMeta()


class RemovedLine(Model):
    text: str
    rule: str


class Attribution(Model):
    wire_derived: bool = False
    agencies: tuple[str, ...] = ()


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"


class Block(Model):
    kind: BlockKind = BlockKind.PARAGRAPH
    text: str


class HeadVector(Model):
    """The sentence embedding of an article's headline + first sentence (`dedup.head_text`), computed in the clean
    stage, which runs on every worker, so that the single dedup stream does not pay for it (~30 ms per article).
    `text_sha1` names the text it was computed from: if a later step changes that text (learned lines), dedup
    computes the vector again."""

    text_sha1: str
    vector: str  # base64 of little-endian float16


class CleanedArticle(Model):
    """The article and nothing else (topic: cleaned)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str
    origin: str
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    received_at: datetime
    title: str
    kicker: str | None = None  # a short tag line above the story, e.g. "Antony Blinken"
    subtitle: str | None = None
    # The dateline's place ("Washington" for "WASHINGTON (Reuters) -"), found before cleaning takes an agency
    # dateline off the lead; the provider's `wire.located` when it states one.
    dateline: str | None = None
    blocks: tuple[Block, ...]
    attribution: Attribution = Attribution()
    removed: tuple[RemovedLine, ...] = ()
    # Added without a schema bump: a message without it is deduplicated the same way, at dedup's own cost.
    head_vector: HeadVector | None = None
    wire: WireMeta = WireMeta()

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind is BlockKind.PARAGRAPH)

    @property
    def lead(self) -> str:
        return next(iter(self.paragraphs), "")

    @property
    def body(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


class DedupLevel(StrEnum):
    UNIQUE = "unique"  # the first article of its story
    EXACT = "exact"  # same normalised text as an earlier article: counted, not indexed again
    NEAR = "near"  # near-identical wire copy
    REWRITE = "rewrite"  # a rewrite of the same agency story
    EDITOR = "editor"  # put in the story by an editor's merge (`wiredesk story merge`), not by evidence


class DedupInfo(Model):
    story_id: str
    # The looser level: the stories of one development (follow-ups, reactions, explainers). Added without a schema
    # bump: a message without it predates storylines.
    storyline_id: str | None = None
    is_canonical: bool
    duplicate_of: str | None = None
    level: DedupLevel = DedupLevel.UNIQUE
    # The article this one was matched with (for a copy: what it is a copy of). It can differ from
    # duplicate_of, the story's canonical, when the canonical is a rewrite by another outlet.
    matched: str | None = None
    fingerprint: str
    scores: dict[str, float] = {}
    shared_quotes: tuple[str, ...] = ()


class StoryUpdate(Model):
    """Another article whose story facts changed because of this one (e.g. it lost the canonical role)."""

    article_id: str
    dedup: DedupInfo


class WireAction(StrEnum):
    """What an item does to the index, decided by dedup from the versions of its guid it has seen."""

    NEW = "new"  # first sight of this article id (or a redelivery of the version that was)
    UPDATE = "update"  # a writethru or correction: a higher version of an article already indexed
    STALE = "stale"  # an older version arriving after a newer one (or after the kill): ignored
    KILL = "kill"  # canceled or withheld: the article leaves the index and the dedup window


class DedupedArticle(Model):
    """An article with its story assignment (topic: deduped)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article: CleanedArticle
    dedup: DedupInfo
    story_updates: tuple[StoryUpdate, ...] = ()
    # Added without a schema bump: a message without it is a new article, as before versions existed.
    action: WireAction = WireAction.NEW


class CorrectionKind(StrEnum):
    MERGE = "merge"  # story_b's articles join story_a
    SPLIT = "split"  # article_id leaves its story and becomes a story of its own


class Correction(Model):
    """An editor's correction of the stories (topic: corrections, one partition). The dedup stage applies it to its
    state, where later articles cannot undo it, and sends the changed story facts to the index."""

    schema_version: Literal[1] = SCHEMA_VERSION
    # Names the correction across redeliveries: applying it again changes nothing.
    correction_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: CorrectionKind
    story_a: str | None = None
    story_b: str | None = None
    article_id: str | None = None
    by: str = "editor"
    at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _complete(self) -> Correction:
        if self.kind is CorrectionKind.MERGE and not (self.story_a and self.story_b):
            raise ValueError("a merge names two stories: story_a and story_b")
        if self.kind is CorrectionKind.SPLIT and not self.article_id:
            raise ValueError("a split names the article that leaves its story: article_id")
        return self


class CorrectedStory(Model):
    """One article's story facts after an editor's correction (topic: deduped, keyed by the article id, so it
    follows the article's own message in its partition and the index applies it after the document)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    correction_id: str
    update: StoryUpdate


class Entity(Model):
    name: str  # canonical name within the article, e.g. "Antony Blinken" for "Blinken" and "Mr Blinken"
    label: str  # PERSON, ORG, GPE, LOC, NORP, EVENT, ...
    mentions: int
    first_position: int  # character offset of the first mention in the article body
    salient: bool  # mentioned in the title or the lead
    aliases: tuple[str, ...] = ()
    code: str | None = None  # ISO 3166 alpha-2 for countries
    role: str | None = None  # "Secretary of State" for "Secretary of State Antony Blinken"


class Tag(Model):
    name: str
    evidence: tuple[str, ...] = ()


class EnrichedArticle(Model):
    """What the index stage writes."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article: CleanedArticle
    dedup: DedupInfo
    entities: tuple[Entity, ...] = ()
    language: str = "en"
    tags: tuple[Tag, ...] = ()
    dateline: str | None = None  # "Washington" for "WASHINGTON (Reuters) -"
    stated_dates: tuple[date, ...] = ()  # calendar dates the text states, e.g. the day of the event


class OutcomeKind(StrEnum):
    INDEXED = "indexed"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"
    KILLED = "killed"  # the provider killed the item (pubStatus canceled or withheld): removed from the index


class Outcome(Model):
    """Exactly one per article id: what became of it (written to the outcomes index)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str
    outcome: OutcomeKind
    stage: str
    source: str | None = None
    origin: str | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    reason: str | None = None
    at: datetime = Field(default_factory=utcnow)


class DeadLetter(Model):
    """A message a stage could not process, with why (topic: dlq). `payload` is the original message value
    (UTF-8, or base64 when it was not text), so `wiredesk dlq replay` can send it again after a fix."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str | None
    origin: str | None = None
    stage: str
    error_class: str
    message: str
    attempts: int = 1
    first_failure_at: datetime = Field(default_factory=utcnow)
    last_failure_at: datetime = Field(default_factory=utcnow)
    worker_id: str
    source_topic: str
    payload: str
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
