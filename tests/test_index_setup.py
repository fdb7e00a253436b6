"""Index set-up on a live server: idempotent, and an index from an older release gains the new fields."""

from __future__ import annotations

import asyncio

import pytest

from wiredesk.connectors.elastic import SearchSink, setup_indices, sync_client
from wiredesk.pipeline.index import ARTICLE_MAPPING, ItemFate, delete_action, first_index
from wiredesk.pipeline.settings import Settings

pytestmark = pytest.mark.integration


def test_older_index_gains_new_fields_and_setup_is_idempotent(backend: Settings) -> None:
    settings = backend.model_copy(
        update={"index_name": "old-articles", "outcomes_index": "old-outcomes", "alerts_index": "old-alerts"}
    )
    es = sync_client(settings)
    old = {"dynamic": "strict", "properties": {"article_id": {"type": "keyword"}}}
    es.indices.create(
        index=first_index("old-articles"), aliases={"old-articles": {"is_write_index": True}}, mappings=old
    )
    setup_indices(es, settings)
    setup_indices(es, settings)
    props = es.indices.get_mapping(index="old-articles")[first_index("old-articles")]["mappings"]["properties"]
    assert set(ARTICLE_MAPPING["properties"]) <= set(props)
    assert es.indices.exists(index="old-outcomes") and es.indices.exists(index="old-alerts")


def test_delete_through_the_write_alias_and_again(backend: Settings) -> None:
    """The index stage deletes an exact copy's document (pipeline.index.delete_action): accepted by the
    server through the alias, and a delete of nothing is GONE, not an error."""
    sink = SearchSink(backend)
    doc = {"_op_type": "index", "_index": backend.index_name, "_id": "gone", "_source": {"article_id": "gone"}}

    async def go() -> list[ItemFate]:
        try:
            await sink.write([doc])
            fates = [r.fate for r in await sink.write([delete_action(backend.index_name, "gone")])]
            fates += [r.fate for r in await sink.write([delete_action(backend.index_name, "gone")])]
            return fates
        finally:
            await sink.close()

    assert asyncio.run(go()) == [ItemFate.OK, ItemFate.GONE]
    assert not sync_client(backend).exists(index=backend.index_name, id="gone")
