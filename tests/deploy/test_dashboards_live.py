"""Every dashboard panel is backed by data: the four services as the real processes
``make up`` starts (deadlines as its worker and its officers' web), a real Prometheus
(Debian's, installed on demand) scraping them every two seconds with the alert rules
loaded, some traffic through the whole platform — dossiers received, moved, finished on
time and late, rejected, withdrawn, left overdue, one rated through its SMS link, one bad
request, one poison command — and then every panel's query, and every template
variable's, through Prometheus's HTTP API: each must return data.

Grafana's variables are given their "All" value and its interval macros fixed windows, as
Grafana would on a dashboard opened over the last few minutes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from confluent_kafka import Producer

from motcua.identity import write_keypair
from motcua.kafka import Topic
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from tests.conftest import ROOT, Database, Infra
from tests.deploy._prometheus import (
    PROMETHEUS_DIR,
    PanelQuery,
    dashboards,
    panel_queries,
    prometheus_binary,
)
from tests.integration.conftest import auth, load_procedure_codes, receive_command, unit_in_province
from tests.integration.ratings.conftest import csrf_of, happy_form
from tests.live_server import free_port

pytestmark = pytest.mark.integration

SERVICES = ("intake", "deadlines", "deadlines-web", "ratings", "reporting")
"""The processes ``make up`` starts, by job name: deadlines is its worker and its web."""
MODULES = {"deadlines-web": "services.deadlines.officers_web"}
MACROS = {"$__rate_interval": "15s", "$__interval": "2s", "$__range": "5m"}
LABEL_VALUES = re.compile(r"label_values\((?P<selector>.*),\s*(?P<label>\w+)\)$")
QUERIES = panel_queries()
VARIABLES = [
    (name, variable["name"], variable["definition"])
    for name, dashboard in dashboards().items()
    for variable in dashboard["templating"]["list"]
]


def instant(expr: str) -> str:
    """The query as Grafana sends it with every variable on "All" (its ``allValue``)."""
    for macro, value in MACROS.items():
        expr = expr.replace(macro, value)
    return re.sub(r"\$\w+", ".*", expr)


@dataclass
class Platform:
    urls: dict[str, str]
    prometheus: str
    upstream_key: str
    commune: str
    ratings_db: str
    logs: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert response.status_code == 200, (expr, body)
        assert body["status"] == "success", (expr, body)
        return list(body["data"]["result"])

    def tails(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-1000:]}"
            for log in sorted(self.logs.glob("*.log"))
        )


class Processes:
    """Plain processes with their logs, stopped with SIGTERM (then SIGKILL) at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with (self.logs / f"{name}.log").open("wb") as out:
            self.running[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, name: str, url: str) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            log = (self.logs / f"{name}.log").read_text(errors="replace")
            assert self.running[name].poll() is None, f"{name} exited:\n{log[-3000:]}"
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail(f"{name} never answered {url}:\n{log[-3000:]}")

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _keys(intake_db: str) -> dict[str, str]:
    """Reference data, the upstream desk's key and each service's own intake key."""
    with psycopg.connect(intake_db) as conn:
        seed_reference_data(db_session=conn)
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        province = unit_in_province(conn, "Hà Nội", "province")
        suffix = uuid.uuid4().hex[:6]
        scopes = {
            "upstream": (province, [Scope.WRITE, Scope.READ]),
            "deadlines": (root[0], [Scope.READ, Scope.RESCHEDULE]),
            "ratings": (root[0], [Scope.READ]),
            "reporting": (root[0], [Scope.READ]),
        }
        keys = {
            name: register_system(f"{name}-{suffix}", unit, grants, db_session=conn)[1]
            for name, (unit, grants) in scopes.items()
        }
        keys["commune"] = unit_in_province(conn, "Hà Nội", "commune")
        keys["apology_system"] = f"deadlines-{suffix}"
    load_procedure_codes(intake_db)
    return keys


def _environments(
    infra: Infra, database: Database, tmp: Path, keys: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Each service's environment as ``deploy/local/stack.py`` gives it, with consumer
    groups of this module's own (the session's other tests have theirs)."""
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    private_key, public_key = tmp / "officer-token.pem", tmp / "officer-token.pub.pem"
    write_keypair(private_key, public_key)
    run = uuid.uuid4().hex[:8]
    groups = {
        "intake": f"intake-live-{run}",
        "deadlines": f"deadlines-live-{run}",
        "ratings": f"ratings-live-{run}",
        "reporting": f"reporting-live-{run}",
    }
    common = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "HTTP_HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        "OFFICER_TOKEN_PUBLIC_KEY_FILE": str(public_key),
        "SIGNIN_URL": urls["deadlines-web"],
    }
    special = {
        "intake": {"INBOUND_GROUP_ID": groups["intake"], "APOLOGY_SYSTEM": keys["apology_system"]},
        "deadlines": {"DATA_DIR": str(tmp / "deadlines-data"), "APP_ID": groups["deadlines"]},
        "deadlines-web": {
            "INTAKE_URL": urls["intake"],
            "INTAKE_API_KEY": keys["deadlines"],
            "OFFICER_TOKEN_PRIVATE_KEY_FILE": str(private_key),
        },
        "ratings": {
            "RATINGS_GROUP_ID": groups["ratings"],
            "INTAKE_URL": urls["intake"],
            "INTAKE_API_KEY": keys["ratings"],
            "RATINGS_PUBLIC_URL": urls["ratings"],
            "QUIET_HOURS": "",
            "FORM_SECRET": "live-dashboards-form-secret",
        },
        "reporting": {
            "REPORTING_GROUP_ID": groups["reporting"],
            "INTAKE_URL": urls["intake"],
            "INTAKE_API_KEY": keys["reporting"],
            "LAG_GROUPS": ",".join(groups.values()),
            "GAUGES_INTERVAL_S": "1",
            "RECONCILE_INTERVAL_S": "2",
        },
    }
    return {
        name: {
            **common,
            "DATABASE_URL": database.service_urls[name.removesuffix("-web")],
            "HTTP_PORT": str(ports[name]),
            **special[name],
        }
        for name in SERVICES
    }


def _scrape_config(targets: dict[str, str], path: Path) -> None:
    """One job per service, named after it, every 2 s; the alert rules loaded."""
    config = {
        "global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
        "rule_files": [str(PROMETHEUS_DIR / "alerts.yml")],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [target]}]}
            for name, target in targets.items()
        ],
    }
    path.write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def platform(
    infra: Infra, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("live-dashboards")
    logs = tmp / "logs"
    logs.mkdir()
    keys = _keys(database.service_urls["intake"])
    environments = _environments(infra, database, tmp, keys)
    urls = {name: f"http://127.0.0.1:{env['HTTP_PORT']}" for name, env in environments.items()}
    processes = Processes(logs)
    try:
        for name, env in environments.items():
            module = MODULES.get(name, f"services.{name}")
            processes.start(name, [sys.executable, "-m", module], env)
        prometheus_port = free_port()
        config = tmp / "prometheus.yml"
        _scrape_config({name: url.removeprefix("http://") for name, url in urls.items()}, config)
        processes.start(
            "prometheus",
            [
                prometheus_binary(),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            dict(os.environ),
        )
        for name, url in urls.items():
            processes.wait_ready(name, f"{url}/readyz")
        prometheus = f"http://127.0.0.1:{prometheus_port}"
        processes.wait_ready("prometheus", f"{prometheus}/-/ready")
        yield Platform(
            urls,
            prometheus,
            keys["upstream"],
            keys["commune"],
            database.service_urls["ratings"],
            logs,
        )
    finally:
        processes.stop()


def _drive(platform: Platform, infra: Infra) -> None:
    """Traffic that gives every panel something to show."""
    intake = httpx.Client(base_url=platform.urls["intake"], headers=auth(platform.upstream_key))
    now = datetime.now(UTC)
    month_ago = (now - timedelta(days=30)).isoformat()

    def receive(at: str | None = None) -> dict[str, Any]:
        overrides = {"occurred_at": at} if at else {"occurred_at": now.isoformat()}
        created = intake.post("/v1/dossiers", json=receive_command(platform.commune, **overrides))
        assert created.status_code == 201, created.text
        return dict(created.json())

    def move(code: str, **step: Any) -> None:
        body = {"event_id": f"up-{uuid.uuid4()}", "occurred_at": datetime.now(UTC).isoformat()}
        moved = intake.post(f"/v1/dossiers/{code}/events", json={**body, **step})
        assert moved.status_code == 200, moved.text

    on_time, late = receive(), receive(month_ago)
    for dossier in (on_time, late):
        move(dossier["dossier_code"], transition="assign", to_unit_code=platform.commune)
        move(dossier["dossier_code"], transition="complete", outcome="granted")
        move(dossier["dossier_code"], transition="return_result", channel="counter")
    receive(month_ago)  # stays open: overdue, without an apology letter
    move(receive()["dossier_code"], transition="reject", reason="Hồ sơ không đủ điều kiện")
    move(receive()["dossier_code"], transition="withdraw")
    assert intake.post("/v1/dossiers", json={"event_id": "bad"}).status_code == 422
    producer = Producer({"bootstrap.servers": infra.bootstrap_servers})
    producer.produce(Topic.INTAKE_COMMANDS.value, key=b"live-dashboards-poison", value=b"{not json")
    assert producer.flush(30) == 0
    _rate(platform, on_time["dossier_id"])


def _rate(platform: Platform, dossier_id: str) -> None:
    """The citizen follows the SMS link and rates; the used link is refused after."""
    deadline = time.monotonic() + 60
    link = None
    while link is None:
        assert time.monotonic() < deadline, f"no invitation SMS:\n{platform.tails()}"
        with psycopg.connect(platform.ratings_db) as conn:
            row = conn.execute(
                "SELECT m.link FROM recorded_messages m JOIN rating_invitations i "
                "ON i.id = m.invitation_id WHERE i.dossier_id = %s AND m.kind = 'invite'",
                (dossier_id,),
            ).fetchone()
        link = row[0] if row else None
        time.sleep(0.3)
    ratings = httpx.Client(base_url=platform.urls["ratings"])
    path = "/" + str(link).split("/", 3)[3]
    form = ratings.get(path)
    assert form.status_code == 200, form.text
    sent = ratings.post(path, data={**happy_form(), "csrf_token": csrf_of(form.text)})
    assert sent.status_code == 303, sent.text
    assert ratings.get(path).status_code == 409


@pytest.fixture(scope="module")
def scraped(platform: Platform, infra: Infra) -> Platform:
    """The platform after the traffic, once every panel query answers (or 60 s passed:
    then the tests below name the empty ones)."""
    _drive(platform, infra)
    deadline = time.monotonic() + 60
    waiting = [query.expr for query in QUERIES]
    while waiting and time.monotonic() < deadline:
        waiting = [expr for expr in waiting if not platform.query(instant(expr))]
        time.sleep(1)
    return platform


def test_prometheus_scrapes_every_service_under_its_name(scraped: Platform) -> None:
    """Each job's scrapes succeed, most of the time on two busy cores: ``up`` was 1 for
    at least half the scrapes of the last 20 s."""
    ups = scraped.query("avg_over_time(up[20s])")
    health = {sample["metric"]["job"]: float(sample["value"][1]) >= 0.5 for sample in ups}
    assert health == dict.fromkeys(SERVICES, True), f"{ups}\n{scraped.tails()}"


def test_alert_rules_load_and_evaluate(scraped: Platform) -> None:
    rules = httpx.get(f"{scraped.prometheus}/api/v1/rules", timeout=10).json()
    loaded = [rule for group in rules["data"]["groups"] for rule in group["rules"]]
    assert loaded, "no rule loaded"
    assert {rule["health"] for rule in loaded} == {"ok"}, [
        (rule["name"], rule.get("lastError")) for rule in loaded if rule["health"] != "ok"
    ]


@pytest.mark.parametrize(("dashboard", "name", "definition"), VARIABLES, ids=lambda v: str(v))
def test_dashboard_variable_has_values(
    scraped: Platform, dashboard: str, name: str, definition: str
) -> None:
    found = LABEL_VALUES.match(instant(definition))
    assert found, f"{dashboard}: ${name} is not label_values(<selector>, <label>)"
    selector, label = found["selector"], found["label"]
    values = scraped.query(f"count by ({label}) ({selector})")
    assert values, f"{dashboard}: ${name} ({definition}) has no values"


@pytest.mark.parametrize("panel", QUERIES, ids=lambda panel: panel.id)
def test_panel_query_returns_data(scraped: Platform, panel: PanelQuery) -> None:
    expr = instant(panel.expr)
    assert scraped.query(expr), f"{panel.id} returned no data: {expr}\n{scraped.tails()}"
