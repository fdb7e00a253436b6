"""The one settings object. Every knob lives here; read it from the environment with the WIREDESK_ prefix."""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.learned import LearnedConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIREDESK_", frozen=True, extra="ignore")

    # Servers. The defaults are the local "embedded" servers that `wiredesk up` starts.
    broker_url: str = "kafka://127.0.0.1:9092"
    search_url: str = "http://127.0.0.1:9200"
    data_dir: Path = Path(".wiredesk")

    # Identity. worker_id doubles as the Kafka static group-membership id: it must be stable across restarts
    # of the same worker (so a restart replaces its old member instead of wedging the group) and unique
    # among live workers. The host name is both on a container or a single machine.
    app_id: str = "wiredesk"
    worker_id: str = Field(default_factory=socket.gethostname)
    # A worker silent for this long is presumed dead and its partitions go to the others. With static
    # membership a restart within this window resumes without any rebalance; 30 s covers a restart and
    # bounds how long a crashed worker's partitions stand still.
    session_timeout_s: float = 30.0
    # At start a worker waits this long for the broker and the search server (started alongside it by
    # docker compose, or by `wiredesk up` in another terminal), then exits with a message saying which is missing.
    # The local servers are up in ~5 s and Elasticsearch 8 in a container in 30-60 s; 120 s covers a cold start.
    server_wait_s: float = 120.0
    # A graceful stop (SIGTERM, Ctrl-C) finishes the batch in flight and commits: 3-4 s (tests/test_faults.py).
    # If it has not finished after this long, the broker or search server is unreachable and waiting cannot
    # help: the worker exits without committing (what it had not committed is read again on restart). Under
    # the 30 s after which `wiredesk run` and docker-compose.yml (stop_grace_period) kill a worker, so the
    # worker says why it stopped instead of being killed silently.
    stop_timeout_s: float = 20.0
    # Faust's web server: loopback only, it has no authentication.
    web_host: str = "127.0.0.1"
    web_port: int = 6066

    # Topics. raw/deduped/dlq are spread over `partitions` so several workers can share the work.
    # `cleaned` has a single partition on purpose: every article must meet every candidate duplicate in one
    # dedup table. That caps the deployment at what one dedup stream does: ~160-190 articles/s on one core with
    # 10k-100k articles in the window. The expensive part of dedup, the sentence vector (~27 ms per article), is
    # computed in the clean stage, which runs on every worker, and carried on the message. One worker does
    # ~10/s end to end (make bench), so the cap binds at ~16 workers.
    partitions: int = 3
    topic_raw: str = "wiredesk-raw"
    topic_cleaned: str = "wiredesk-cleaned"
    topic_deduped: str = "wiredesk-deduped"
    topic_dlq: str = "wiredesk-dlq"
    # One message per new story (its first indexed article): alert rules are evaluated on these only, so an
    # alert fires once per story, not once per outlet.
    topic_stories: str = "wiredesk-stories"
    topic_alerts: str = "wiredesk-alerts"
    # Editor corrections (`wiredesk story merge|split`). One partition: the dedup state they apply to has one, so
    # the worker that holds it reads them, in the order they were sent.
    topic_corrections: str = "wiredesk-corrections"

    # Dedup: copies and rewrites of a story are looked for among the articles of the last 72 h (wire
    # rewrites appear within a day; follow-ups two days later are new stories). Memory grows with the
    # window: ~10.5 KB per article, so ~105 MB per 10,000 articles (plus ~90 MB once for the encoder's model).
    # The window is in event time (publication times): see DedupConfig.window_hours.
    dedup_window_hours: float = 72.0

    # Learned boilerplate (pipeline/learned.py): lines a source repeats verbatim are removed from its later
    # articles by the dedup stage. False turns the pass off (nothing learned, nothing removed).
    learned_lines: bool = True
    # The defaults, and the reason for each, are LearnedConfig's: distinct articles that carried a line before it
    # is learned; days unseen before a line is forgotten; lines kept per source.
    learned_min_articles: int = LearnedConfig.min_articles
    learned_ttl_days: float = LearnedConfig.ttl_days
    learned_max_lines_per_source: int = LearnedConfig.max_lines_per_source

    # Elasticsearch.
    index_name: str = "wiredesk-articles"
    outcomes_index: str = "wiredesk-outcomes"
    alerts_index: str = "wiredesk-alerts"
    # Each worker's last beat, so the workers can expire a dead peer where the broker does not (see
    # connectors/liveness.py). Off: rely on the broker's session expiry alone (real Kafka does expire).
    workers_index: str = "wiredesk-workers"
    expire_dead_workers: bool = True

    # Alerting: rules file, and where alerts go besides the alerts topic and index.
    alert_rules_path: Path = Path("alerts.yml")
    alerts_jsonl_path: Path | None = None  # default: <data_dir>/alerts.jsonl
    # Every editor correction as labelled pairs of articles (same story / different stories), for a refit.
    labelled_pairs_path: Path | None = None  # default: <data_dir>/labelled_pairs.jsonl
    webhook_url: str | None = None
    # Webhook deliveries retry with the same backoff as Elasticsearch, at most this many times, so one dead
    # endpoint delays a story's alert by at most ~1 min and never blocks the stream for good.
    webhook_attempts: int = 5
    # One webhook request may take this long: a healthy endpoint answers in well under a second, and five
    # attempts x 10 s keeps the worst case for a hanging endpoint near the minute above.
    webhook_timeout_s: float = 10.0
    # Kibana, for `wiredesk kibana import` (the docker compose stack publishes it here).
    kibana_url: str = "http://127.0.0.1:5601"
    # 64 articles per bulk request: NER batches well at this size and a bulk of 64 × ~5 KB stays far below
    # Elasticsearch's 100 MB http.max_content_length.
    batch_size: int = 64
    # Messages read ahead per topic before fetching pauses (see pipeline/app.py for why not smaller).
    stream_buffer: int = 4096
    # An article waits at most this long, from its arrival, for its batch to fill (faust_fixes.take_batches):
    # a lone article is searchable within ~1 s. 0.25 s, not 0.5: Faust's take, used before, ticked every
    # `within` whatever the arrivals, so a lone article waited 0-0.5 s, 0.25 s on average; this keeps that
    # average. Under load batches start without waiting and fill up to batch_size by themselves. The ledger and
    # alerts agents still use Faust's take, ticking at this interval.
    batch_timeout_s: float = 0.25
    # Transient failures (Elasticsearch 429/5xx, timeouts) retry with exponential backoff and full jitter,
    # starting here and capped at retry_max_s, so a server that is down is polled every ~30 s at worst.
    retry_base_s: float = 0.5
    retry_max_s: float = 30.0
    request_timeout_s: float = 30.0

    # Producer. Files above this size are refused: a news article is < 100 KB; 5 MB leaves room for HTML.
    max_file_bytes: int = 5 * 1024 * 1024
    # How often the drop folder is listed. A new file is sent on the second look (unchanged since the first),
    # so it waits 1-2 intervals: 0.25 s keeps that well under the rest of the path to the index (~0.5 s), and a
    # look costs one `stat` per file (sent files are not read again).
    watch_interval_s: float = 0.25

    def unreachable(self, server: Literal["broker", "search"], detail: str = "") -> str:
        """What to tell a user whose server does not answer: which one, where, and what to do about it."""
        where, var = (
            (f"broker {self.kafka_bootstrap}", "WIREDESK_BROKER_URL")
            if server == "broker"
            else (f"search server {self.search_url}", "WIREDESK_SEARCH_URL")
        )
        because = f": {detail}" if detail else ""
        return f"{where} not reachable{because} (start the local servers with `wiredesk up`, or point {var} at yours)"

    @property
    def kafka_bootstrap(self) -> str:
        """host:port list as kafka-python wants it (the broker URL may carry a kafka:// scheme)."""
        return ",".join(u.split("://", 1)[-1] for u in self.broker_url.split(","))

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap.split(",")[0].rsplit(":", 1)[1])

    @property
    def search_port(self) -> int:
        return urlparse(self.search_url).port or 9200

    @property
    def all_topics(self) -> dict[str, int]:
        """Every topic the pipeline uses, with its partition count (topics are always created explicitly)."""
        return {
            self.topic_raw: self.partitions,
            self.topic_cleaned: 1,
            self.topic_deduped: self.partitions,
            self.topic_dlq: self.partitions,
            self.topic_stories: self.partitions,
            self.topic_alerts: self.partitions,
            self.topic_corrections: 1,
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
