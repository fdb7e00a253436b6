"""docker-compose.yml cannot run here (no Docker engine); keep it valid and consistent with the settings."""

from __future__ import annotations

from typing import Any

import yaml

from pipeline.settings import Settings
from tests.conftest import ROOT


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
