"""`python -m bench.baseline_worker`: the naive baseline's consumer loop, run as its own process so that its
CPU and memory are measured like the wiredesk worker's.

    for each poll (up to --batch records): clean, nlp(text), build a document; then helpers.bulk the lot.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from elasticsearch import Elasticsearch, helpers
from kafka import KafkaConsumer

from bench.baseline_logic import document, load_full_model, utcnow_iso


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--search-url", required=True)
    parser.add_argument("--index", required=True)
    # The same batch as wiredesk's index stage (Settings.batch_size), so the comparison is about the
    # processing, not about bulk sizes.
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)

    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    nlp = load_full_model()
    es = Elasticsearch(args.search_url, request_timeout=60)
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id="naive-baseline",
        auto_offset_reset="earliest",
        max_poll_records=args.batch,
    )
    print("ready", flush=True)
    while not stopping:
        polled = consumer.poll(timeout_ms=500)
        actions = []
        for records in polled.values():
            for record in records:
                src = document(json.loads(record.value), nlp)
                actions.append({"_index": args.index, "_id": src["article_id"], "_source": src})
        if actions:
            now = utcnow_iso()
            for action in actions:
                action["_source"]["indexed_at"] = now
            helpers.bulk(es, actions)
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
