"""Debian's Prometheus for the deploy tests, and what the checked-in dashboards and alerts
query.

The binaries are installed the way the stack installs its Debian packages
(``deploy/local/stack.py prometheus``); when that is not possible the test fails with what
to do: it is never skipped, or a broken rule would pass unseen.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.conftest import ROOT

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARDS_DIR = ROOT / "deploy" / "grafana" / "dashboards"
METRIC_NAME = re.compile(r"\bmotcua_[a-z0-9_]+")
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")
# Collectors that yield their families at scrape time only (ratings' follow-up gauges).
FAMILY = re.compile(r'MetricFamily\(\s*"(motcua_[a-z0-9_]+)"')


def prometheus_binary(name: str = "prometheus") -> str:
    """``prometheus`` or ``promtool`` from Debian's package, installed when missing."""
    found = shutil.which(name)
    if found:
        return found
    install = subprocess.run(
        [sys.executable, str(ROOT / "deploy/local/stack.py"), "prometheus"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = shutil.which(name)
    if not found:
        pytest.fail(
            f"no `{name}` and `deploy/local/stack.py prometheus` could not install it "
            f"(run `apt-get install prometheus` as root):\n{install.stdout}{install.stderr}"
        )
    return found


def defined_metrics() -> set[str]:
    """Every metric family the platform's code defines: the registry once every metrics
    module is imported, and the families custom collectors yield when scraped."""
    modules = ["motcua.metrics", "motcua.outbox"]
    modules += [
        f"services.{p.parent.name}.metrics" for p in sorted(ROOT.glob("services/*/metrics.py"))
    ]
    for module in modules:
        importlib.import_module(module)
    names = {family.name for family in REGISTRY.collect()}
    for path in [*ROOT.glob("motcua/**/*.py"), *ROOT.glob("services/**/*.py")]:
        names |= set(FAMILY.findall(path.read_text()))
    return names


def undefined(queried: set[str], defined: set[str]) -> set[str]:
    """The names in ``queried`` no family in ``defined`` exposes (suffixes included)."""
    return {
        name
        for name in queried
        if name not in defined
        and not any(name.endswith(s) and name.removesuffix(s) in defined for s in SUFFIXES)
    }


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    expr: str

    @property
    def id(self) -> str:
        return f"{self.dashboard}/{self.panel}/{self.ref}"


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text()) for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def panel_queries() -> list[PanelQuery]:
    """Every target of every panel (rows hold none) of the checked-in dashboards."""
    found = []
    for name, dashboard in dashboards().items():
        panels = dashboard["panels"]
        assert isinstance(panels, list)
        for panel in panels:
            for target in panel.get("targets", []):
                found.append(PanelQuery(name, panel["title"], target["refId"], target["expr"]))
    return found
