"""I/O of editor corrections (pipeline/corrections.py): the command line sends them to the corrections topic, the
worker appends what they say to the labelled-pairs file."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from wiredesk.pipeline.models import Correction
from wiredesk.pipeline.settings import Settings


def send_correction(settings: Settings, correction: Correction) -> None:
    """Send the correction and wait until the broker has it (raises the broker's error otherwise)."""
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=f"{settings.app_id}-corrections",
        acks="all",
        enable_idempotence=True,
    )
    try:
        future = producer.send(
            settings.topic_corrections,
            key=correction.correction_id.encode(),
            value=correction.model_dump_json().encode(),
        )
        future.get(timeout=settings.request_timeout_s)
    finally:
        producer.close()


def labels_path(settings: Settings) -> Path:
    return settings.labelled_pairs_path or settings.data_dir / "labelled_pairs.jsonl"


def append_labels(path: Path, correction_id: str, lines: Sequence[dict[str, Any]]) -> int:
    """Append the correction's labelled pairs unless the file has them already (a redelivered correction), durably
    (fsync) before the correction is acknowledged. Returns the number of lines written."""
    if not lines or _has(path, correction_id):
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        fh.flush()
        os.fsync(fh.fileno())
    return len(lines)


def _has(path: Path, correction_id: str) -> bool:
    # Editors correct a few stories a day: reading the file back costs nothing next to a duplicate in a refit.
    if not path.exists():
        return False
    with path.open(encoding="utf-8") as fh:
        return any(line.strip() and json.loads(line).get("correction") == correction_id for line in fh)
