"""docker-compose.yml cannot run here (no Docker engine); keep it valid and consistent with the settings."""

from __future__ import annotations

import base64
import json
from pathlib import PurePosixPath
from typing import Any

import yaml

from tests.conftest import ROOT
from wiredesk.pipeline.settings import Settings


def compose() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def test_services_and_dependencies_exist() -> None:
    services = compose()["services"]
    assert {"kafka", "elasticsearch", "kibana", "producer", "worker"} <= set(services)
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        for dep in svc.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown service {dep}"
    for name in ("kafka", "elasticsearch", "kibana"):
        assert ":" in services[name]["image"] and not services[name]["image"].endswith(":latest"), name


def test_kafka_runs_in_kraft_mode_without_auto_created_topics() -> None:
    env = compose()["services"]["kafka"]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_workers_can_scale() -> None:
    worker = compose()["services"]["worker"]
    # A fixed container name or host port would make `--scale worker=N` fail.
    assert "container_name" not in worker and "ports" not in worker
    assert "WIREDESK_WORKER_ID" not in worker["environment"], "each replica needs its own id (its host name)"


def test_environment_names_are_settings() -> None:
    fields = {f"WIREDESK_{name.upper()}" for name in Settings.model_fields}
    for name, svc in compose()["services"].items():
        for var in svc.get("environment", {}):
            if var.startswith("WIREDESK_"):
                assert var in fields, f"{name}: {var} is not a setting"


def test_valid_against_the_compose_specification() -> None:
    """compose-spec (the compose_spec crate's parser, with models generated from the Compose Specification):
    unknown keys, wrong types and unknown depends_on conditions are refused. It does not resolve YAML merge keys
    (`<<: *wiredesk-env`), so it is given the document as docker compose resolves it."""
    from compose_spec import PyCompose

    spec = PyCompose.from_json(json.dumps(compose())).to_spec()
    assert set(spec.services or {}) == set(compose()["services"])


def _named_volumes(svc: dict[str, Any]) -> dict[str, str]:
    """Named volumes a service mounts, by path in the container (bind mounts start with . or /)."""
    mounts = {}
    for entry in svc.get("volumes", []):
        source, target = entry.split(":")[:2]
        if not source.startswith((".", "/")):
            mounts[target] = source
    return mounts


def test_kafka_keeps_logs_and_metadata_in_its_volume() -> None:
    kafka = compose()["services"]["kafka"]
    env = kafka["environment"]
    mounted = _named_volumes(kafka)
    for log_dir in env["KAFKA_LOG_DIRS"].split(","):
        assert any(PurePosixPath(log_dir).is_relative_to(target) for target in mounted), log_dir
    # KRaft's metadata goes to the first log dir unless set apart; set apart, it must be in a volume too.
    metadata = env.get("KAFKA_METADATA_LOG_DIR", env["KAFKA_LOG_DIRS"].split(",")[0])
    assert any(PurePosixPath(metadata).is_relative_to(target) for target in mounted), metadata
    # A fixed, valid cluster id (16 bytes, URL-safe base64): the image formats the volume with it once.
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16


def test_every_named_volume_is_declared_and_used() -> None:
    doc = compose()
    used = {v for svc in doc["services"].values() for v in _named_volumes(svc).values()}
    assert used == set(doc["volumes"])


def test_servers_have_healthchecks_and_workers_wait_for_them() -> None:
    services = compose()["services"]
    for name in ("kafka", "elasticsearch", "kibana", "worker"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
    for name in ("worker", "producer"):
        deps = services[name]["depends_on"]
        assert deps["kafka"] == {"condition": "service_healthy"}, name
        assert deps["init"] == {"condition": "service_completed_successfully"}, name
    assert services["worker"]["depends_on"]["elasticsearch"] == {"condition": "service_healthy"}


def test_the_worker_healthcheck_asks_the_metrics_port() -> None:
    test = " ".join(compose()["services"]["worker"]["healthcheck"]["test"])
    assert f"127.0.0.1:{Settings.model_fields['metrics_port'].default}/health" in test


def test_alert_rules_are_mounted_read_only_where_the_worker_reads_them() -> None:
    worker = compose()["services"]["worker"]
    workdir = next(line.split()[1] for line in dockerfile() if line.startswith("WORKDIR"))
    rules = PurePosixPath(workdir) / Settings.model_fields["alert_rules_path"].default
    assert f"./alerts.yml:{rules}:ro" in worker["volumes"]


def dockerfile() -> list[str]:
    return [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]


def test_the_image_runs_as_a_fixed_non_root_user_owning_the_data_dir() -> None:
    users = [line.split()[1] for line in dockerfile() if line.startswith("USER ")]
    assert users and users[-1].isdigit() and int(users[-1]) != 0, "the last USER must be a fixed non-root uid"
    uid = users[-1]
    data_dir = compose()["x-wiredesk-env"]["WIREDESK_DATA_DIR"]
    assert any(f"chown {uid}:{uid} {data_dir}" in line for line in dockerfile())
