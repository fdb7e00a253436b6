"""The Kibana saved objects (kibana/*.ndjson): well-formed, self-consistent, and every field they use exists
in the mapping of the index their data view points at. Kibana cannot run here, so the import is tested
against a local HTTP server that records the request."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, free_port
from tests.httpstub import Stub, serve
from wiredesk.connectors.cli import main
from wiredesk.connectors.kibana import KibanaError, import_saved_objects, load_saved_objects
from wiredesk.pipeline.alerts import ALERT_MAPPING
from wiredesk.pipeline.index import ARTICLE_MAPPING
from wiredesk.pipeline.settings import Settings

KIBANA = ROOT / "kibana"
OBJECTS = load_saved_objects(KIBANA)
BY_KEY = {(o["type"], o["id"]): o for o in OBJECTS}
settings = Settings()
MAPPINGS = {settings.index_name: ARTICLE_MAPPING, settings.alerts_index: ALERT_MAPPING}
# Lens's pseudo-field for "count of records".
RECORDS = "___records___"
# Field names in KQL: `field:value` / `field : value`, not inside quotes.
KQL_FIELD = re.compile(r"(?<![\"\w.])([A-Za-z_][\w.]*)\s*:")
AGGREGATABLE = {"keyword", "date", "integer", "long", "float", "double", "boolean"}


def fields(mapping: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every searchable field of a mapping (with multi-fields like title.keyword) -> its type."""
    out: dict[str, str] = {}
    for name, spec in mapping.get("properties", {}).items():
        path = f"{prefix}{name}"
        if spec.get("enabled") is False:
            continue  # stored, not indexed: nothing can query or aggregate it
        if "properties" in spec:
            out.update(fields(spec, f"{path}."))
            continue
        out[path] = spec["type"]
        for sub, sub_spec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = sub_spec["type"]
    return out


def data_view_fields(view_id: str) -> dict[str, str]:
    title = BY_KEY[("index-pattern", view_id)]["attributes"]["title"]
    return fields(MAPPINGS[title])


def panels() -> list[dict[str, Any]]:
    dashboards = [o for o in OBJECTS if o["type"] == "dashboard"]
    return [p for d in dashboards for p in json.loads(d["attributes"]["panelsJSON"])]


def search_source(obj: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    return parsed


def view_of(obj: dict[str, Any], ref_name: str) -> str:
    return next(r["id"] for r in obj["references"] if r["name"] == ref_name)


# --- structure -------------------------------------------------------------------------------------------


def test_every_line_is_a_kibana_8_saved_object() -> None:
    assert OBJECTS
    for obj in OBJECTS:
        assert obj["type"] in {"index-pattern", "search", "dashboard"}, obj["type"]
        assert isinstance(obj["id"], str) and obj["id"]
        assert isinstance(obj["attributes"], dict) and obj["attributes"]["title"]
        assert isinstance(obj["references"], list)
        assert obj["coreMigrationVersion"].startswith("8.") and obj["typeMigrationVersion"]
    assert len(BY_KEY) == len(OBJECTS), "duplicate (type, id)"


def test_references_resolve_to_objects_in_the_files() -> None:
    for obj in OBJECTS:
        names = [r["name"] for r in obj["references"]]
        assert len(names) == len(set(names)), f"{obj['id']}: duplicate reference names"
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in BY_KEY, f"{obj['id']}: dangling reference {ref}"


def test_the_required_objects_are_there() -> None:
    view = BY_KEY[("index-pattern", "wiredesk-articles")]["attributes"]
    assert view["title"] == settings.index_name  # the alias, so rolled-over indices stay in view
    assert view["timeFieldName"] == "indexed_at"
    searches = {o["attributes"]["title"]: o for o in OBJECTS if o["type"] == "search"}
    assert search_source(searches["Stories"])["query"] == {"query": "dedup.is_canonical:true", "language": "kuery"}
    assert search_source(searches["Diplomatic coverage"])["query"] == {"query": "tags:diplomacy", "language": "kuery"}
    for title in ("Stories", "Diplomatic coverage"):
        assert view_of(searches[title], "kibanaSavedObjectMeta.searchSourceJSON.index") == "wiredesk-articles"
    titles = {p.get("title") for p in panels()}
    assert {"Coverage over time", "Top entities", "Top sources", "Stories by number of outlets"} <= titles


def test_dashboard_panels_are_wired_to_their_references() -> None:
    for dashboard in (o for o in OBJECTS if o["type"] == "dashboard"):
        refs = {r["name"]: r for r in dashboard["references"]}
        json.loads(dashboard["attributes"]["optionsJSON"])
        for panel in json.loads(dashboard["attributes"]["panelsJSON"]):
            idx = panel["panelIndex"]
            assert panel["gridData"]["i"] == idx
            if panel["type"] == "lens":
                lens = panel["embeddableConfig"]["attributes"]
                layers = lens["state"]["datasourceStates"]["formBased"]["layers"]
                for layer_id in layers:
                    name = f"indexpattern-datasource-layer-{layer_id}"
                    inner = next(r for r in lens["references"] if r["name"] == name)
                    assert refs[f"{idx}:{name}"]["id"] == inner["id"]
            else:
                assert refs[f"{idx}:{panel['panelRefName']}"]["type"] == panel["type"]


# --- field names -----------------------------------------------------------------------------------------


def test_mapping_field_list_sees_multi_fields_and_skips_disabled_objects() -> None:
    known = fields(ARTICLE_MAPPING)
    assert known["title.keyword"] == "keyword" and known["dedup.is_canonical"] == "boolean"
    assert "tag_evidence" not in known and "dedup.scores" not in known


def test_data_view_time_fields_exist() -> None:
    for view in (o for o in OBJECTS if o["type"] == "index-pattern"):
        known = data_view_fields(view["id"])
        assert known.get(view["attributes"]["timeFieldName"]) == "date", view["id"]


def test_saved_search_fields_exist() -> None:
    for search in (o for o in OBJECTS if o["type"] == "search"):
        source = search_source(search)
        known = data_view_fields(view_of(search, source["indexRefName"]))
        used = set(search["attributes"]["columns"]) | {field for field, _ in search["attributes"]["sort"]}
        used |= set(KQL_FIELD.findall(source["query"]["query"]))
        assert used <= set(known), f"{search['id']}: unknown fields {used - set(known)}"


def test_lens_fields_exist_and_can_be_aggregated() -> None:
    checked = 0
    for panel in (p for p in panels() if p["type"] == "lens"):
        lens = panel["embeddableConfig"]["attributes"]
        state = lens["state"]
        assert not KQL_FIELD.findall(state["query"]["query"])
        for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
            view_id = next(
                r["id"] for r in lens["references"] if r["name"] == f"indexpattern-datasource-layer-{layer_id}"
            )
            known = data_view_fields(view_id)
            assert set(layer["columnOrder"]) == set(layer["columns"])
            for column in layer["columns"].values():
                used = [column["sourceField"], column.get("params", {}).get("sortField")]
                for field in filter(None, used):
                    if field == RECORDS:
                        continue
                    assert known.get(field) in AGGREGATABLE, f"{panel['title']}: {field} is {known.get(field)}"
                    checked += 1
    assert checked >= 6


# --- import ----------------------------------------------------------------------------------------------


@pytest.fixture
def kibana() -> Iterator[Stub]:
    answer = json.dumps({"success": True, "successCount": len(OBJECTS), "successResults": []}).encode()
    with serve(Stub(body=answer)) as stub:
        yield stub


def test_import_posts_every_object_as_one_multipart_file(kibana: Stub) -> None:
    result = import_saved_objects(kibana.url + "/", KIBANA)
    assert result.count == len(OBJECTS) and result.url == kibana.url
    (request,) = kibana.requests
    assert request.path == "/api/saved_objects/_import?overwrite=true"
    assert request.headers["kbn-xsrf"] == "true"
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert request.body.startswith(b"--" + boundary + b"\r\n")
    assert request.body.endswith(b"\r\n--" + boundary + b"--\r\n")
    head, _, rest = request.body.partition(b"\r\n\r\n")
    assert b'name="file"; filename="wiredesk.ndjson"' in head
    content = rest[: rest.rindex(b"\r\n--" + boundary)]
    sent = [json.loads(line) for line in content.decode().splitlines()]
    assert sent == OBJECTS


def test_import_reports_objects_kibana_refused() -> None:
    answer = {
        "success": False,
        "successCount": 1,
        "errors": [{"id": "wiredesk-coverage", "type": "dashboard", "error": {"type": "missing_references"}}],
    }
    with serve(Stub(body=json.dumps(answer).encode())) as stub, pytest.raises(KibanaError) as err:
        import_saved_objects(stub.url, KIBANA)
    assert "dashboard wiredesk-coverage: missing_references" in str(err.value)


def test_import_reports_an_http_error_with_kibanas_message() -> None:
    with serve(Stub(fail_first=1, fail_status=503)) as stub, pytest.raises(KibanaError) as err:
        import_saved_objects(stub.url, KIBANA)
    assert "HTTP 503" in str(err.value) and "scripted failure" in str(err.value)


def test_import_says_when_kibana_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(KibanaError, match=f"not reachable at {url}"):
        import_saved_objects(url, KIBANA, timeout_s=2.0)


def test_import_refuses_a_broken_file_before_calling_kibana(tmp_path: Path) -> None:
    (tmp_path / "x.ndjson").write_text('{"type": "search"}\nnot json\n')
    with pytest.raises(KibanaError, match=r"x\.ndjson:2: not JSON"):
        import_saved_objects("http://127.0.0.1:9", tmp_path)
    with pytest.raises(KibanaError, match=r"no \.ndjson files"):
        import_saved_objects("http://127.0.0.1:9", tmp_path / "empty")


def test_kibana_import_command(kibana: Stub) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["kibana", "import", "--url", kibana.url, "--dir", str(KIBANA)])
    assert ok.exit_code == 0, ok.output
    assert f"imported {len(OBJECTS)} saved object(s)" in ok.output
    down = runner.invoke(main, ["kibana", "import", "--url", f"http://127.0.0.1:{free_port()}", "--dir", str(KIBANA)])
    assert down.exit_code == 1 and "not reachable" in down.output
