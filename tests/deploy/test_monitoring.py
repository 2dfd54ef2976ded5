"""The alerts and the dashboard query metrics the code defines: a renamed metric must not
leave a silent alert or an empty panel behind."""

from __future__ import annotations

import importlib
import re

import pytest
from prometheus_client import REGISTRY

from tests.conftest import ROOT

QUERIES = [
    ROOT / "deploy/prometheus/alerts.yml",
    *sorted((ROOT / "deploy/grafana/dashboards").glob("*.json")),
]
METRIC_MODULES = [
    "motcua.metrics",
    "motcua.outbox",
    *(
        f"services.{path.parent.name}.metrics"
        for path in sorted(ROOT.glob("services/*/metrics.py"))
    ),
]
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def _defined() -> set[str]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    return {family.name for family in REGISTRY.collect()}


@pytest.mark.parametrize("path", QUERIES, ids=lambda path: path.name)
def test_every_queried_metric_is_defined(path: object) -> None:
    defined = _defined()
    queried = set(re.findall(r"\bmotcua_[a-z_]+", ROOT.joinpath(str(path)).read_text()))
    unknown = {
        name
        for name in queried
        if name not in defined
        and not any(
            name.endswith(suffix) and name.removesuffix(suffix) in defined for suffix in SUFFIXES
        )
    }
    assert not unknown, f"{path} queries metrics no code defines: {sorted(unknown)}"
