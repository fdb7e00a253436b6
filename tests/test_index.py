"""The index stage's pure parts: documents fit the strict mapping, bulk items get the right fate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import T0, deduped, enriched
from wiredesk.pipeline.index import ARTICLE_MAPPING, ItemFate, classify, index_action, to_document


def unmapped(doc: dict[str, Any], mapping: dict[str, Any], prefix: str = "") -> list[str]:
    """Fields of `doc` a strict mapping would refuse."""
    found = []
    props = mapping.get("properties", {})
    for key, value in doc.items():
        spec = props.get(key)
        if spec is None:
            found.append(prefix + key)
        elif spec.get("enabled") is False:
            continue
        elif "properties" in spec:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    found += unmapped(item, spec, f"{prefix}{key}.")
    return found


def test_document_fits_the_strict_mapping() -> None:
    doc = to_document(enriched(deduped()), indexed_at=T0)
    assert unmapped(doc, ARTICLE_MAPPING) == []


def test_document_fields_for_kibana() -> None:
    doc = to_document(enriched(deduped("b2", of="a1")), indexed_at=T0)
    assert doc["persons"] == ["Antony Blinken"]
    assert doc["places"] == ["United States"]
    assert doc["tags"] == ["diplomacy"]
    assert doc["story_id"] == "a1" and doc["dedup"]["duplicate_of"] == "a1"
    assert doc["cleaning"]["rules"] == ["promo"]
    assert doc["indexed_at"] == T0.isoformat()
    assert "Talks" in doc["body"]


def test_action_id_is_the_article_id() -> None:
    action = index_action("idx", to_document(enriched(deduped("xyz")), indexed_at=T0))
    assert (action["_id"], action["_op_type"]) == ("xyz", "index")


@pytest.mark.parametrize(
    ("status", "op", "fate"),
    [
        (200, "index", ItemFate.OK),
        (201, "index", ItemFate.OK),
        (429, "index", ItemFate.RETRY),
        (503, "index", ItemFate.RETRY),
        (400, "index", ItemFate.REJECT),
        (409, "index", ItemFate.REJECT),
        (404, "update", ItemFate.GONE),
        (404, "delete", ItemFate.GONE),
    ],
)
def test_classify(status: int, op: str, fate: ItemFate) -> None:
    assert classify(status, {"type": "x", "reason": "y"}, op).fate is fate


def test_classify_keeps_the_reason() -> None:
    result = classify(400, {"type": "strict_dynamic_mapping_exception", "reason": "field [bogus]"})
    assert result.reason == "strict_dynamic_mapping_exception: field [bogus]"
