"""Messages between stages across versions: an added field is passed over, a new schema version is refused, and
hand-written configuration stays strict."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from tests.factories import deduped
from wiredesk.pipeline.alerts import RuleSet
from wiredesk.pipeline.models import CleanedArticle, DedupedArticle


def with_extra(message: DedupedArticle, **extra: object) -> str:
    data = json.loads(message.model_dump_json())
    data.update(extra)
    data["article"]["from_a_newer_worker"] = [1, 2, 3]
    data["dedup"]["another_new_score"] = 0.5
    return json.dumps(data)


def test_a_message_from_a_newer_worker_with_added_fields_is_read() -> None:
    message = deduped("a1")
    assert DedupedArticle.model_validate_json(with_extra(message, added_at_the_top="x")) == message
    article = json.dumps({**json.loads(message.article.model_dump_json()), "head_vector_v2": "..."})
    assert CleanedArticle.model_validate_json(article) == message.article


def test_a_message_of_another_schema_version_is_refused() -> None:
    data = json.loads(deduped("a1").model_dump_json())
    data["article"]["schema_version"] = 2
    with pytest.raises(ValidationError, match="schema_version"):
        DedupedArticle.model_validate_json(json.dumps(data))


def test_alert_rules_still_refuse_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        RuleSet.model_validate({"rules": [], "rulez": []})
