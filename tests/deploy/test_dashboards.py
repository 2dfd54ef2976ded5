"""The dashboards are code: the checked-in JSON is exactly what ``deploy/grafana/build.py``
writes, every panel is backed by a query, and every query names only variables its
dashboard defines (``test_dashboards_live.py`` runs the queries on a real Prometheus)."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from tests.conftest import ROOT
from tests.deploy._prometheus import dashboards

BUILD = ROOT / "deploy" / "grafana" / "build.py"
DATASOURCES = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
GRAFANA_VARIABLES = {"__rate_interval", "__range", "__interval"}


def test_checked_in_json_is_the_generators_output() -> None:
    done = subprocess.run(
        [sys.executable, str(BUILD), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"run `python {BUILD.relative_to(ROOT)}`:\n{done.stderr}"


def test_the_five_dashboards_exist_with_unique_uids() -> None:
    found = dashboards()
    assert set(found) == {
        "motcua-national",
        "motcua-unit",
        "motcua-deadlines",
        "motcua-satisfaction",
        "motcua-pipeline",
    }
    assert {d["uid"] for d in found.values()} == set(found)


def test_every_panel_has_a_query_on_the_provisioned_data_source() -> None:
    uid = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]["uid"]
    for name, dashboard in dashboards().items():
        panels = dashboard["panels"]
        assert isinstance(panels, list)
        for panel in panels:
            if panel["type"] == "row":
                continue
            assert panel["targets"], f"{name}: {panel['title']} has no query"
            assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]
            assert {t["datasource"]["uid"] for t in panel["targets"]} == {uid}
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_panels_do_not_overlap() -> None:
    for name, dashboard in dashboards().items():
        panels = dashboard["panels"]
        assert isinstance(panels, list)
        cells: set[tuple[int, int]] = set()
        for panel in panels:
            g = panel["gridPos"]
            mine = {
                (x, y)
                for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])
            }
            assert not mine & cells, f"{name}: {panel['title']} overlaps another panel"
            cells |= mine


def test_queries_use_only_the_dashboards_variables() -> None:
    for name, dashboard in dashboards().items():
        templating = dashboard["templating"]
        assert isinstance(templating, dict)
        defined = {v["name"] for v in templating["list"]} | GRAFANA_VARIABLES
        panels = dashboard["panels"]
        assert isinstance(panels, list)
        exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
        exprs += [v["definition"] for v in templating["list"]]
        used = {m for expr in exprs for m in re.findall(r"\$(\w+)", expr)}
        assert used <= defined, f"{name} uses undefined variables {sorted(used - defined)}"
        assert {v["name"] for v in templating["list"]} <= used, f"{name} has unused variables"
