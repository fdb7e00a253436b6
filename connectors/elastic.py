"""Elasticsearch I/O: set up the indices, write bulks until every item has a final fate, search."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, AsyncElasticsearch, Elasticsearch

from wiredesk.connectors.retry import async_policy
from wiredesk.connectors.security import search_kwargs
from wiredesk.pipeline.alerts import ALERT_MAPPING
from wiredesk.pipeline.errors import TransientError
from wiredesk.pipeline.index import (
    ARTICLE_MAPPING,
    OUTCOME_MAPPING,
    WORKERS_MAPPING,
    ItemFate,
    ItemResult,
    article_template,
    classify,
    first_index,
)
from wiredesk.pipeline.models import Entity
from wiredesk.pipeline.settings import Settings

log = logging.getLogger(__name__)


# Rollover when the write index's primary shard reaches 50 GB (Elastic's recommended upper shard size) or
# after 30 days, so each index holds about a month of coverage and old months can be dropped whole.
ROLLOVER: dict[str, Any] = {"max_primary_shard_size": "50gb", "max_age": "30d"}


def ilm_available(es: Elasticsearch) -> bool:
    """Whether the server runs index lifecycle management (real Elasticsearch does; the local one answers
    400 "no handler", a cluster without the privilege 403)."""
    try:
        es.ilm.get_status()
    except ApiError as exc:
        log.info("no index lifecycle management on %s (%s): indices do not roll over", es, exc.meta.status)
        return False
    return True


def _lifecycle_settings(index_name: str) -> dict[str, str]:
    return {"index.lifecycle.name": index_name, "index.lifecycle.rollover_alias": index_name}


def setup_indices(es: Elasticsearch, settings: Settings) -> None:
    """Rollover policy (where the server has ILM), template, first versioned index behind the write alias,
    outcomes and alerts indices. Safe to run again."""
    template = article_template(settings.index_name)
    ilm = ilm_available(es)
    if ilm:
        es.ilm.put_lifecycle(name=settings.index_name, policy={"phases": {"hot": {"actions": {"rollover": ROLLOVER}}}})
        inner = template["template"]
        template = {
            **template,
            "template": {**inner, "settings": {**inner["settings"], **_lifecycle_settings(settings.index_name)}},
        }
    es.indices.put_index_template(name=settings.index_name, **template)
    if not es.indices.exists_alias(name=settings.index_name):
        if es.indices.exists(index=settings.index_name):
            raise RuntimeError(f"{settings.index_name} is an index, not an alias: reindex it behind the alias first")
        es.indices.create(
            index=first_index(settings.index_name), aliases={settings.index_name: {"is_write_index": True}}
        )
    else:
        # An index made by an older release lacks the fields added since: add them (Elasticsearch allows
        # new fields on a live index), else every new document would be refused by the strict mapping.
        _add_new_fields(es, settings.index_name, ARTICLE_MAPPING)
        if ilm:
            # An index created before the policy existed: put its write index under the policy too.
            for index, info in es.indices.get_alias(name=settings.index_name).items():
                if info["aliases"][settings.index_name].get("is_write_index"):
                    es.indices.put_settings(index=index, settings=_lifecycle_settings(settings.index_name))
    # A few outcomes per article, a few alerts a day, a record per worker: one shard each, never rolled over.
    small = (
        (settings.outcomes_index, OUTCOME_MAPPING),
        (settings.alerts_index, ALERT_MAPPING),
        (settings.workers_index, WORKERS_MAPPING),
    )
    for index, mapping in small:
        if es.indices.exists(index=index):
            _add_new_fields(es, index, mapping)
        else:
            es.indices.create(index=index, settings={"number_of_shards": 1, "number_of_replicas": 0}, mappings=mapping)


def _add_new_fields(es: Elasticsearch, index: str, mapping: dict[str, Any]) -> None:
    try:
        es.indices.put_mapping(index=index, properties=mapping["properties"])
    except ApiError as exc:
        raise RuntimeError(
            f"the mapping of {index} conflicts with this release's ({exc.message}): reindex into a new index"
        ) from exc


def sync_client(settings: Settings) -> Elasticsearch:
    return Elasticsearch(**search_kwargs(settings))


class NotAccepted(Exception):
    """Some items of a bulk were not taken (429/5xx, or the request failed): they are sent again."""


class SearchSink:
    """Writes bulks; retries what the server could not take; returns every item's final fate."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.es = AsyncElasticsearch(**search_kwargs(settings))

    async def close(self) -> None:
        await self.es.close()

    async def setup(self) -> None:
        # Index set-up is rare and small: the sync client keeps one code path for the CLI and the worker.
        s = self.settings
        retry = async_policy(
            "index set-up", on=(TransportConnectionError, ConnectionTimeout), base_s=s.retry_base_s, cap_s=s.retry_max_s
        )
        await retry(asyncio.to_thread, setup_indices, sync_client(s), s)

    async def _bulk_once(self, actions: Sequence[dict[str, Any]]) -> list[ItemResult]:
        body: list[dict[str, Any]] = []
        for action in actions:
            meta = {"_index": action["_index"], "_id": action["_id"]}
            op = action["_op_type"]
            body.append({op: meta})
            if op == "update":
                body.append({"doc": action["doc"]})
            elif op != "delete":  # a delete is its action line alone
                body.append(action["_source"])
        try:
            resp = await self.es.bulk(operations=body)
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise TransientError(f"search server unreachable: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status == 429 or exc.meta.status >= 500:
                raise TransientError(f"search server answered {exc.meta.status}: {exc.message}") from exc
            raise
        results = []
        for item in resp["items"]:
            ((op, detail),) = item.items()
            results.append(classify(detail.get("status", 500), detail.get("error"), op))
        return results

    async def write(self, actions: Sequence[dict[str, Any]]) -> list[ItemResult]:
        """Send `actions`; items the server could not take (429/5xx, or the whole request failed) are sent
        again with backoff until each is accepted or refused for good. Waiting here is the backpressure:
        the stream does not consume while its batch is not written."""
        final: list[ItemResult | None] = [None] * len(actions)
        todo = list(range(len(actions)))
        s = self.settings
        async for attempt in async_policy("bulk", on=NotAccepted, base_s=s.retry_base_s, cap_s=s.retry_max_s):
            with attempt:
                try:
                    results = await self._bulk_once([actions[i] for i in todo])
                except TransientError as exc:
                    results = [ItemResult(ItemFate.RETRY, 503, str(exc))] * len(todo)
                retry = []
                for i, result in zip(todo, results, strict=True):
                    if result.fate is ItemFate.RETRY:
                        retry.append(i)
                    else:
                        final[i] = result
                if retry:
                    reason = next(r.reason for r in results if r.fate is ItemFate.RETRY)
                    todo = retry
                    raise NotAccepted(f"{len(retry)} of {len(results)} bulk items not accepted ({reason[:200]})")
        return [r for r in final if r is not None]


async def stored_entities(es: AsyncElasticsearch, index: str, ids: Sequence[str]) -> dict[str, tuple[Entity, ...]]:
    """Entities already indexed for `ids` (canonicals of near copies), so the copies can skip NER. Best
    effort: whatever cannot be read is simply enriched again."""
    if not ids:
        return {}
    try:
        resp = await es.search(
            index=index, query={"ids": {"values": list(ids)}}, size=len(ids), source_includes=["entities"]
        )
    except (ApiError, TransportConnectionError, ConnectionTimeout) as exc:
        log.info("could not read canonical entities (%s); running NER on the copies instead", exc)
        return {}
    return {
        hit["_id"]: tuple(Entity.model_validate(e) for e in hit["_source"].get("entities", []))
        for hit in resp["hits"]["hits"]
    }
