"""Dedup against a full window: 10k and 100k articles already in it.

Feeding 100k articles through `dedup` would take minutes, so the window is synthesised from a real one: the
records of the articles the scaled stream left in the store, plus clones of them. A clone keeps everything
that makes a record realistic (sizes, names, numbers, time) but has its MinHash signature and quote hashes
XORed with a per-clone mask: clones then collide with each other as often as real background articles do,
and never with the probes, which is what a window of unrelated stories from other days looks like.

This knows the store's record layout (pipeline/dedup.py: ``a:<id>`` JSON with sig/q/qk as base64 arrays,
``s:<story>`` with the canonical); if that changes, `clone_store` fails with a message saying so.
"""

from __future__ import annotations

import base64
import gc
import json
import multiprocessing as mp
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bench import sysinfo
from bench.stats import Rate, latency_summary
from wiredesk.pipeline.dedup import Deduplicator, dedup
from wiredesk.pipeline.models import CleanedArticle

_ARRAYS = {"sig": "<u4", "q": "<u4", "qk": "<u8"}


def _masked(b64: str, dtype: str, mask: int) -> str:
    a = np.frombuffer(base64.b64decode(b64), dtype=dtype) ^ np.array(mask, dtype=dtype)
    return base64.b64encode(a.astype(dtype).tobytes()).decode("ascii")


def _clone(record: dict[str, Any], suffix: str, mask: int) -> dict[str, Any]:
    out = dict(record)
    for key, dtype in _ARRAYS.items():
        if key in out:
            out[key] = _masked(out[key], dtype, mask)
    out["fp"] = f"{record['fp']}{suffix}"
    info = dict(record["info"])
    info["story_id"] = f"{info['story_id']}{suffix}"
    if info.get("duplicate_of"):
        info["duplicate_of"] = f"{info['duplicate_of']}{suffix}"
    out["info"] = info
    out["updated"] = [f"{u}{suffix}" for u in record.get("updated", ())]
    return out


def clone_store(base: Mapping[str, str], size: int) -> dict[str, str]:
    """A store holding `size` article records: the base's first, then masked clones of them."""
    articles = [(k, v) for k, v in base.items() if k.startswith("a:")]
    stories = {k: v for k, v in base.items() if k.startswith("s:")}
    if not articles:
        raise ValueError("the base store has no a:<id> records: has pipeline/dedup.py's layout changed?")
    store: dict[str, str] = {k: v for k, v in base.items() if k.startswith("m:")}
    try:
        for i in range(size):
            key, value = articles[i % len(articles)]
            round_ = i // len(articles)
            record = json.loads(value)
            if round_:
                suffix = f"~{round_}"
                # Any fixed odd 32-bit pattern per round: what matters is that rounds differ from each other.
                record = _clone(record, suffix, (0x9E3779B1 * round_) & 0xFFFFFFFF)
                key = f"{key}{suffix}"
            store[key] = json.dumps(record)
            story = f"s:{record['info']['story_id']}"
            if story not in store:
                original = stories.get(story.split("~")[0])
                if original is not None:
                    canonical = json.loads(original)["canonical"]
                    if round_:
                        canonical[2] = f"{canonical[2]}~{round_}"
                    store[story] = json.dumps({"canonical": canonical})
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"cannot clone the dedup store (record layout changed? update bench/window.py): {exc}"
        ) from exc
    return store


def bench_window(base: Mapping[str, str], size: int, probes: Sequence[CleanedArticle]) -> dict[str, Any]:
    """Rebuild a deduplicator over a `size`-article window, then dedup `probes` against it, in a fresh
    process: its RSS then shows what the window itself costs (in the bench process, memory freed by earlier
    phases would be reused and hide it)."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_window, (dict(base), size, list(probes)))
    return result


def _window(base: dict[str, str], size: int, probes: list[CleanedArticle]) -> dict[str, Any]:
    gc.collect()
    rss0 = sysinfo.rss_mb_self()
    store = clone_store(base, size)
    gc.collect()
    rss1 = sysinfo.rss_mb_self()
    t0 = time.perf_counter()
    deduplicator = Deduplicator(store)
    rebuild_s = time.perf_counter() - t0
    gc.collect()
    rss2 = sysinfo.rss_mb_self()
    times = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for article in probes:
        t = time.perf_counter()
        dedup(article, deduplicator)
        times.append(time.perf_counter() - t)
    rate = Rate(len(probes), time.perf_counter() - wall0, time.process_time() - cpu0)
    return {
        "window": len(deduplicator) - len(probes),
        **rate.as_dict(),
        "per_article": latency_summary(times),
        # A restart or a rebalance rebuilds this from the table, before the first article is deduplicated.
        "rebuild_s": round(rebuild_s, 2),
        # The Faust table (store="memory://") holds these records in the worker, plus the derived index.
        "store_rss_mb": round(rss1 - rss0, 1),
        "index_rss_mb": round(rss2 - rss1, 1),
        "store_text_mb": round(sum(len(k) + len(v) for k, v in store.items()) / 1024 / 1024, 1),
    }
