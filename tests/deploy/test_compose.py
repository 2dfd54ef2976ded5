"""docker-compose.yml against the code: no Docker engine here, so the file is checked by reading.

Commands must name modules that exist, every environment variable must be a real setting
of that process, ports must agree with HTTP_PORT, and Prometheus, Grafana and the
Dockerfile must point at files and services that exist.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from motcua.provision import ProvisionSettings
from services.deadlines.settings import DeadlinesSettings
from services.intake.settings import IntakeSettings
from services.ratings.settings import RatingsSettings
from services.reporting.settings import ReportingSettings
from tests.conftest import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
MOTCUA: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "deadlines": DeadlinesSettings,
    "deadlines-web": DeadlinesSettings,
    "ratings": RatingsSettings,
    "reporting": ReportingSettings,
}
ROLES = ("intake", "deadlines", "ratings", "reporting")
"""Each service's database role; deadlines' two processes (the worker, the web) share one."""
ONE_SHOT: dict[str, tuple[type[BaseSettings], set[str]]] = {
    "provision": (ProvisionSettings, {f"{s.upper()}_DB_PASSWORD" for s in ROLES}),
    "intake-seed": (IntakeSettings, set()),
    "deadlines-intake-key": (IntakeSettings, {"API_KEY"}),
    "ratings-intake-key": (IntakeSettings, {"API_KEY"}),
    "reporting-intake-key": (IntakeSettings, {"API_KEY"}),
    "officer-token-keys": (IntakeSettings, set()),
}


def _module(service: dict[str, Any]) -> str | None:
    command = service.get("command") or []
    if command[:2] == ["python", "-m"]:
        return str(command[2])
    return None


def _variables(settings: type[BaseSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


def test_every_motcua_service_is_deployed() -> None:
    assert set(MOTCUA) <= set(SERVICES)
    assert {"kafka", "postgres", "provision", "prometheus", "grafana"} <= set(SERVICES)


@pytest.mark.parametrize("name", [n for n, s in SERVICES.items() if _module(s)])
def test_commands_name_modules_that_exist(name: str) -> None:
    module = _module(SERVICES[name])
    assert module is not None
    assert importlib.util.find_spec(module) is not None, f"{name}: no module {module}"


@pytest.mark.parametrize("name", [*MOTCUA, *ONE_SHOT])
def test_environment_variables_are_real_settings(name: str) -> None:
    settings, extra = ONE_SHOT[name] if name in ONE_SHOT else (MOTCUA[name], set())
    unknown = set(SERVICES[name].get("environment", {})) - _variables(settings) - extra
    assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


@pytest.mark.parametrize("name", list(MOTCUA))
def test_published_port_is_the_services_http_port(name: str) -> None:
    service = SERVICES[name]
    port = int(service["environment"]["HTTP_PORT"])
    published = [str(mapping).split(":") for mapping in service["ports"]]
    assert [int(container) for _, container in published] == [port]


def test_host_ports_are_unique() -> None:
    host_ports = [
        str(mapping).split(":")[0]
        for service in SERVICES.values()
        for mapping in service.get("ports", [])
    ]
    assert len(host_ports) == len(set(host_ports))


@pytest.mark.parametrize("name", list(MOTCUA))
def test_services_use_their_own_role_and_wait_for_provisioning(name: str) -> None:
    service = SERVICES[name]
    role = name.removesuffix("-web")
    assert f"//motcua_{role}:" in service["environment"]["DATABASE_URL"]
    assert service["environment"]["HTTP_HOST"] == "0.0.0.0"
    assert service["depends_on"]["provision"]["condition"] == "service_completed_successfully"


def test_depends_on_targets_exist() -> None:
    for name, service in SERVICES.items():
        for target in service.get("depends_on", []):
            assert target in SERVICES, f"{name} depends on missing {target}"


def test_deadlines_keeps_its_tables_on_a_volume() -> None:
    """Deadlines' Faust tables (reporting keeps everything in PostgreSQL)."""
    service = SERVICES["deadlines"]
    data_dir = service["environment"]["DATA_DIR"]
    mounts = [str(volume).split(":")[1] for volume in service["volumes"]]
    assert any(data_dir.startswith(mount) for mount in mounts)


def test_prometheus_scrapes_every_service_at_its_port() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    for name in MOTCUA:
        port = SERVICES[name]["environment"]["HTTP_PORT"]
        assert targets[name] == [f"{name}:{port}"]
    mount = next(v for v in SERVICES["prometheus"]["volumes"] if "/etc/prometheus" in str(v))
    local_dir = ROOT / str(mount).split(":")[0]
    for rule_file in config["rule_files"]:
        assert (local_dir / Path(rule_file).name).exists()
    assert yaml.safe_load((local_dir / "alerts.yml").read_text())["groups"]


def test_grafana_provisioning_points_at_mounted_files() -> None:
    mounts = dict(str(v).split(":")[:2] for v in SERVICES["grafana"]["volumes"] if "./" in str(v))
    provisioning = ROOT / next(k for k, v in mounts.items() if v == "/etc/grafana/provisioning")
    provider = yaml.safe_load((provisioning / "dashboards" / "motcua.yml").read_text())
    dashboards_path = provider["providers"][0]["options"]["path"]
    local = ROOT / next(k for k, v in mounts.items() if v == dashboards_path)
    assert list(local.glob("*.json")), "no dashboard in the mounted folder"
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (local / Path(home).relative_to(dashboards_path)).exists()


def test_dockerfile_ships_the_source_tree_the_code_reads() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE))
    assert {"motcua", "services", "schemas"} <= copied
    assert "fonts-liberation2" in dockerfile
    build = SERVICES["intake"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).exists()
