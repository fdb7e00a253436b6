"""How long the producer takes to read a wire document (connectors.formats.parse_document), per format:
`python -m bench.formats`. The samples are the IPTC ones the tests use (tests/data/samples)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from wiredesk.connectors.formats import parse_document

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "samples"
# Enough repetitions that one run takes ~0.5 s per sample: the per-document figure is then stable to a few %.
REPEAT = 2000
# A feed dump of a busy hour: the size at which a many-item file's cost shows.
ARRAY_ITEMS = 1000


def per_document_us(text: str, suffix: str, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        parse_document(text, suffix=suffix, origin="bench", folder_source=None)
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    for name in ("ninjs/dpa_text_v3.0.json", "ninjs/ninjsExMediumText1_v1.4.json"):
        text = (SAMPLES / name).read_text(encoding="utf-8")
        print(f"{name}: {per_document_us(text, '.json', REPEAT):.0f} µs/document")
    name = "newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml"
    text = (SAMPLES / name).read_text(encoding="utf-8")
    print(f"{name}: {per_document_us(text, '.xml', REPEAT):.0f} µs/document")
    item = json.loads((SAMPLES / "ninjs/dpa_text_v3.0.json").read_text(encoding="utf-8"))
    array = json.dumps([{**item, "uri": f"urn:bench:{n}"} for n in range(ARRAY_ITEMS)])
    ms = per_document_us(array, ".json", 5) / 1000
    print(f"JSON array of {ARRAY_ITEMS} ninjs items ({len(array) / 1e6:.1f} MB): {ms:.0f} ms")


if __name__ == "__main__":
    main()
