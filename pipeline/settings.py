"""The one settings object. Every knob lives here; read it from the environment with the WIREDESK_ prefix."""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wiredesk.pipeline.learned import LearnedConfig


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting is reported without the values given, which may hold a secret.
    model_config = SettingsConfigDict(env_prefix="WIREDESK_", frozen=True, extra="ignore", hide_input_in_errors=True)

    # Servers. The defaults are the local "embedded" servers that `wiredesk up` starts.
    broker_url: str = "kafka://127.0.0.1:9092"
    search_url: str = "http://127.0.0.1:9200"
    data_dir: Path = Path(".wiredesk")

    # Kafka security, applied to every Kafka client (the worker's Faust app, producers, consumers, admin clients:
    # connectors/security.py). PLAINTEXT is the local servers'. SASL needs a user name and password; SSL and
    # SASL_SSL verify the broker against kafka_ca_file (the system's CAs when unset); a client certificate
    # (kafka_cert_file + kafka_key_file) is for brokers that authenticate clients by TLS.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ca_file: Path | None = None
    kafka_cert_file: Path | None = None
    kafka_key_file: Path | None = None
    # Elasticsearch security, applied to every search client: an API key or a user name and password, and for
    # an https:// URL the CA to verify the server with (the system's CAs when unset). verify_certs=False turns
    # verification off (a test cluster with a self-signed certificate; the client warns on every request).
    search_api_key: SecretStr | None = None
    search_username: str | None = None
    search_password: SecretStr | None = None
    search_ca_file: Path | None = None
    search_verify_certs: bool = True

    # Logging of the worker and of the command line: "text" (for people) or "json" (one object per line, for
    # a log collector); the level by name (DEBUG, INFO, WARNING, ERROR).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

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
    # The worker's own HTTP server: /metrics (Prometheus), /health, /ready (connectors/metrics.py). A port of its
    # own, not Faust's web server: that one starts only after table recovery, so it could not answer /health
    # (or say "not ready") while a worker rebuilds its tables. 6067: next to Faust's 6066. Loopback only by
    # default; a Prometheus server on another host needs metrics_host set to an address it can reach.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 6067

    # Topics. raw/deduped/dlq are spread over `partitions` so several workers can share the work.
    # `cleaned` has a single partition on purpose: every article must meet every candidate duplicate in one
    # dedup table. That caps the deployment at what one dedup stream does on one core: ~119 articles/s with 10k
    # articles in the window, ~33/s with 100k (scripts/dedup_eval.py; the scan of the window's head vectors grows
    # with it). The expensive part of dedup, the sentence vector (~33 ms per article), is computed in the clean
    # stage, which runs on every worker, and carried on the message. One worker does ~15.7/s end to end (make
    # bench), so the cap binds at ~7 workers with 10k, ~2 with 100k. A 72 h window of 100k articles is ~0.4
    # arriving per second: the cap is felt when a backlog is replayed, not in steady flow.
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
    # Messages read ahead per topic before fetching pauses (see connectors/app.py for why not smaller).
    stream_buffer: int = 4096
    # An article waits at most this long, from its arrival, for its batch to fill (faust_fixes.take_batches):
    # a lone article is searchable within ~1 s. 0.25 s is the average wait Faust's take gives with `within`
    # 0.5 s (it ticks every `within` whatever the arrivals, so a lone article waits 0-0.5 s). Under load
    # batches start without waiting and fill up to batch_size by themselves. The ledger and alerts agents still
    # use Faust's take, ticking at this interval.
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

    # Feeds (connectors/feeds.py). The list of polled RSS/Atom feeds: `wiredesk feeds add` writes it; a missing
    # file means no feeds. Their poll state (ETag, errors, entries sent) lives in <data_dir>/feeds.sqlite.
    feeds_path: Path = Path("feeds.yml")
    # One feed or page request may take this long: a healthy site answers in well under a second; 20 s rides
    # out a slow one without letting a hanging server hold a poll (or a page-fetch thread) for minutes.
    feed_timeout_s: float = 20.0
    # A failing feed is retried after a random delay between its interval and interval x 2^errors (full jitter,
    # never sooner than a healthy feed), capped here: a feed that is down for a day costs ~24 requests, and one
    # that comes back is picked up again within the hour.
    feed_backoff_max_s: float = 3600.0
    # Linked pages fetched at once. Fetching waits on the network; extraction (trafilatura, ~7 ms of CPU a
    # page) holds the GIL, which caps one poller at ~100-120 pages/s whatever the threads. With pages 100 ms
    # away (make bench ARGS="--only feeds"): 1 thread 9 pages/s, 4 threads 31/s, 8 threads 48/s. 4 is far
    # above what news feeds publish (a few new items a minute each) and stays polite to the one site a feed
    # usually links to (browsers open ~6 connections per site).
    feed_page_workers: int = 4
    # How often the poll loop looks for due feeds and re-reads feeds.yml: a new feed (or Ctrl-C) is noticed
    # within a second; the check costs a file stat and a comparison per feed.
    feed_tick_s: float = 1.0

    @model_validator(mode="after")
    def _security_is_complete(self) -> Settings:
        """Refuse half a security configuration at start, naming the variable missing, instead of a handshake
        failure against the server later."""
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"WIREDESK_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "WIREDESK_KAFKA_SASL_USERNAME and WIREDESK_KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_cert_file is None) != (self.kafka_key_file is None):
            raise ValueError("WIREDESK_KAFKA_CERT_FILE and WIREDESK_KAFKA_KEY_FILE go together: set both or neither")
        if (self.search_username is None) != (self.search_password is None):
            raise ValueError("WIREDESK_SEARCH_USERNAME and WIREDESK_SEARCH_PASSWORD go together: set both or neither")
        if self.search_api_key and self.search_username:
            raise ValueError("set WIREDESK_SEARCH_API_KEY or WIREDESK_SEARCH_USERNAME/PASSWORD, not both")
        if self.search_ca_file and not self.search_url.startswith("https://"):
            raise ValueError("WIREDESK_SEARCH_CA_FILE needs an https:// WIREDESK_SEARCH_URL")
        return self

    def unreachable(self, server: Literal["broker", "search"], detail: str = "") -> str:
        """What to tell a user whose server does not answer: which one, where, and what to do about it."""
        where, var = (
            (f"broker {self.kafka_bootstrap}", "WIREDESK_BROKER_URL")
            if server == "broker"
            else (f"search server {redact_url(self.search_url)}", "WIREDESK_SEARCH_URL")
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


def redact_url(url: str) -> str:
    """The URL without a password it may carry (http://user:secret@host): for messages and `wiredesk status`."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
