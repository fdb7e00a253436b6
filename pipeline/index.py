"""The index stage, pure: the Elasticsearch mapping, the document for an article, the bulk actions for a
batch, and the fate of each bulk item. connectors/elastic.py does the I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from wiredesk.pipeline.models import DedupInfo, EnrichedArticle, Outcome

ENGLISH_TEXT: dict[str, Any] = {"type": "text", "analyzer": "english"}
KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 512}
# Free text users filter on exactly (titles, entity names) gets a keyword twin for aggregations.
TEXT_AND_KEYWORD: dict[str, Any] = {**ENGLISH_TEXT, "fields": {"keyword": KEYWORD}}

ENTITY_FIELDS = {"PERSON": "persons", "ORG": "organisations", "GPE": "places", "LOC": "places"}

# Language (pipeline.language: ISO 639-1, or 639-3 where there is no two-letter code) -> the built-in
# Elasticsearch 8 analyzer for it. No "brazilian": languages are primary subtags (pt-BR is "pt"), and the
# portuguese stemmer serves both. Chinese, Japanese and Korean share cjk (bigrams: no dictionary needed).
LANGUAGE_ANALYZERS: dict[str, str] = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "bn": "bengali",
    "bg": "bulgarian",
    "ca": "catalan",
    "zh": "cjk",
    "ja": "cjk",
    "ko": "cjk",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "fi": "finnish",
    "fr": "french",
    "gl": "galician",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lv": "latvian",
    "lt": "lithuanian",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "fa": "persian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "ckb": "sorani",
    "es": "spanish",
    "sv": "swedish",
    "tr": "turkish",
    "th": "thai",
}
# The sub-field of a language with no analyzer of its own, or of an unknown one ("xx").
OTHER_LANGUAGE = "other"
# Text fields that a non-English article repeats under <field>_i18n.<language>, analysed for its language.
# English articles do not: title, lead and body are english-analysed already, so English search and alert
# rules behave exactly as before, and the bulk of the feed is not stored twice.
I18N_FIELDS = ("title", "lead", "body")
I18N_MAPPING: dict[str, Any] = {
    "properties": {
        **{lang: {"type": "text", "analyzer": an} for lang, an in LANGUAGE_ANALYZERS.items() if lang != "en"},
        OTHER_LANGUAGE: {"type": "text", "analyzer": "standard"},
    }
}

ARTICLE_MAPPING: dict[str, Any] = {
    # strict: a document with a field the mapping does not know is refused (and dead-lettered) instead of
    # silently growing the mapping until Kibana's field list is useless.
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "article_id": KEYWORD,
        "story_id": KEYWORD,
        "storyline_id": KEYWORD,
        "title": TEXT_AND_KEYWORD,
        "kicker": TEXT_AND_KEYWORD,
        "subtitle": ENGLISH_TEXT,
        "lead": ENGLISH_TEXT,
        "body": ENGLISH_TEXT,
        **{f"{field}_i18n": I18N_MAPPING for field in I18N_FIELDS},
        "source": KEYWORD,
        "url": KEYWORD,
        "origin": KEYWORD,
        "language": KEYWORD,
        "dateline": KEYWORD,
        "stated_dates": {"type": "date"},
        "published_at": {"type": "date"},
        "received_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        "persons": KEYWORD,
        "organisations": KEYWORD,
        "places": KEYWORD,
        "entities": {
            "properties": {
                "name": TEXT_AND_KEYWORD,
                "label": KEYWORD,
                "mentions": {"type": "integer"},
                "first_position": {"type": "integer"},
                "salient": {"type": "boolean"},
                "aliases": KEYWORD,
                "code": KEYWORD,
                "role": KEYWORD,
            }
        },
        "tags": KEYWORD,
        "tag_evidence": {"type": "object", "enabled": False},
        "attribution": {"properties": {"wire_derived": {"type": "boolean"}, "agencies": KEYWORD}},
        "dedup": {
            "properties": {
                "story_id": KEYWORD,
                "storyline_id": KEYWORD,
                "is_canonical": {"type": "boolean"},
                "duplicate_of": KEYWORD,
                "matched": KEYWORD,
                "level": KEYWORD,
                "fingerprint": KEYWORD,
                # Evidence is for reading, not for querying: keep it out of the mapping's field count.
                "scores": {"type": "object", "enabled": False},
                "shared_quotes": {"type": "text"},
            }
        },
        # What the wire format said of the item (pipeline.models.WireMeta); empty for plain files.
        "wire": {
            "properties": {
                "input_format": KEYWORD,
                "guid": KEYWORD,
                "version": {"type": "long"},
                "pub_status": KEYWORD,
                "byline": TEXT_AND_KEYWORD,
                "located": KEYWORD,
                "language": KEYWORD,
                "urgency": {"type": "integer"},
                "subjects": {"properties": {"code": KEYWORD, "name": TEXT_AND_KEYWORD}},
            }
        },
        "cleaning": {
            "properties": {
                "removed_count": {"type": "integer"},
                "rules": KEYWORD,
                "removed": {"type": "object", "enabled": False},
            }
        },
    },
}

# One record per worker: its last beat (connectors/liveness.py).
WORKERS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "worker_id": {"type": "keyword"},
        "group": {"type": "keyword"},
        "host": {"type": "keyword"},
        "pid": {"type": "integer"},
        "beat_at": {"type": "date"},
    },
}


OUTCOME_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "article_id": KEYWORD,
        "outcome": KEYWORD,
        "stage": KEYWORD,
        "source": KEYWORD,
        "origin": KEYWORD,
        "story_id": KEYWORD,
        "duplicate_of": KEYWORD,
        "reason": {"type": "text"},
        "at": {"type": "date"},
    },
}


def article_template(index_name: str) -> dict[str, Any]:
    """Index template for the versioned article indices behind the `index_name` alias."""
    return {
        "index_patterns": [f"{index_name}-*"],
        # One shard: a newsroom archive of millions of articles fits one shard (< 50 GB); more shards only
        # add overhead on a single node. Replicas are the cluster operator's choice, 0 suits one node.
        "template": {"settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": ARTICLE_MAPPING},
        "priority": 100,
    }


def first_index(index_name: str) -> str:
    return f"{index_name}-000001"


def i18n_key(language: str) -> str | None:
    """The <field>_i18n sub-field for an article's language; None for English (its text fields are English)."""
    if language == "en":
        return None
    return language if language in LANGUAGE_ANALYZERS else OTHER_LANGUAGE


def to_document(item: EnrichedArticle, indexed_at: datetime) -> dict[str, Any]:
    a = item.article
    key = i18n_key(item.language)
    texts = {"title": a.title, "lead": a.lead, "body": a.body}
    by_field: dict[str, list[str]] = {field: [] for field in ENTITY_FIELDS.values()}
    for ent in item.entities:
        field = ENTITY_FIELDS.get(ent.label)
        if field and ent.name not in by_field[field]:
            by_field[field].append(ent.name)
    return {
        "schema_version": item.schema_version,
        "article_id": a.article_id,
        "story_id": item.dedup.story_id,
        "storyline_id": item.dedup.storyline_id,
        "title": a.title,
        "kicker": a.kicker,
        "subtitle": a.subtitle,
        "lead": a.lead,
        "body": a.body,
        **{f"{field}_i18n": ({key: texts[field]} if key else {}) for field in I18N_FIELDS},
        "source": a.source,
        "url": a.url,
        "origin": a.origin,
        "language": item.language,
        "dateline": item.dateline,
        "stated_dates": [d.isoformat() for d in item.stated_dates],
        "published_at": a.published_at.isoformat() if a.published_at else None,
        "received_at": a.received_at.isoformat(),
        "indexed_at": indexed_at.isoformat(),
        **by_field,
        "entities": [e.model_dump(mode="json") for e in item.entities],
        "tags": [t.name for t in item.tags],
        "tag_evidence": {t.name: list(t.evidence) for t in item.tags},
        "attribution": a.attribution.model_dump(mode="json"),
        "dedup": item.dedup.model_dump(mode="json"),
        "wire": a.wire.model_dump(mode="json"),
        "cleaning": {
            "removed_count": len(a.removed),
            "rules": sorted({r.rule for r in a.removed}),
            "removed": [r.model_dump(mode="json") for r in a.removed],
        },
    }


def index_action(index: str, doc: dict[str, Any]) -> dict[str, Any]:
    # `index` (not `create`): a redelivered article overwrites its own document with the same content,
    # so at-least-once delivery yields exactly one document per article id.
    return {"_op_type": "index", "_index": index, "_id": doc["article_id"], "_source": doc}


def story_update_action(index: str, article_id: str, info: DedupInfo) -> dict[str, Any]:
    """A later article changed this article's story facts (e.g. it is no longer the canonical)."""
    return {
        "_op_type": "update",
        "_index": index,
        "_id": article_id,
        "doc": {"story_id": info.story_id, "storyline_id": info.storyline_id, "dedup": info.model_dump(mode="json")},
    }


def delete_action(index: str, article_id: str) -> dict[str, Any]:
    """An article judged an exact copy has no document. A redelivery after a crash can decide again and
    differently (the dedup state of the last articles may not have reached its changelog, and two copies
    coming back through different raw partitions can arrive in the other order): the latest decision wins,
    so a document an earlier decision indexed for it goes."""
    return {"_op_type": "delete", "_index": index, "_id": article_id}


def outcome_actions(index: str, outcomes: Iterable[Outcome]) -> list[dict[str, Any]]:
    return [
        {"_op_type": "index", "_index": index, "_id": o.article_id, "_source": o.model_dump(mode="json")}
        for o in outcomes
    ]


class ItemFate(StrEnum):
    OK = "ok"
    RETRY = "retry"  # the server is overloaded or unwell: send this item again later
    REJECT = "reject"  # the document itself is bad: dead-letter it
    GONE = "gone"  # an update or delete for a document that is not there (e.g. in an older index): nothing to do


@dataclass(frozen=True)
class ItemResult:
    fate: ItemFate
    status: int
    reason: str = ""


def classify(status: int, error: Any = None, op_type: str = "index") -> ItemResult:
    """One bulk item's fate from its status: 429 and 5xx are the server's trouble, other 4xx the document's."""
    if 200 <= status < 300:
        return ItemResult(ItemFate.OK, status)
    reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error or "")
    kind = error.get("type", "") if isinstance(error, dict) else ""
    detail = f"{kind}: {reason}" if kind else reason
    if status == 429 or status >= 500:
        return ItemResult(ItemFate.RETRY, status, detail)
    if status == 404 and op_type in ("update", "delete"):
        return ItemResult(ItemFate.GONE, status, detail)
    return ItemResult(ItemFate.REJECT, status, detail)


def filter_clauses(
    *, entities: Sequence[str] = (), sources: Sequence[str] = (), tags: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Filters shared by `wiredesk search` and alert rules: each list matches ANY of its values, and all the
    lists given must hold. Entities match as phrases ("Blinken" finds "Antony Blinken"); sources and tags
    exactly."""
    out: list[dict[str, Any]] = []
    if entities:
        should = [{"match_phrase": {"entities.name": name}} for name in entities]
        out.append({"bool": {"should": should, "minimum_should_match": 1}})
    if sources:
        out.append({"terms": {"source": list(sources)}})
    if tags:
        out.append({"terms": {"tags": list(tags)}})
    return out
