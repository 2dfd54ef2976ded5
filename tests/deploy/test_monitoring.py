"""The alerts and the dashboards query metrics the code defines: a renamed metric must not
leave a silent alert or an empty panel behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy._prometheus import (
    DASHBOARDS_DIR,
    METRIC_NAME,
    PROMETHEUS_DIR,
    defined_metrics,
    undefined,
)

QUERIES = [PROMETHEUS_DIR / "alerts.yml", *sorted(DASHBOARDS_DIR.glob("*.json"))]


@pytest.mark.parametrize("path", QUERIES, ids=lambda path: path.name)
def test_every_queried_metric_is_defined(path: Path) -> None:
    unknown = undefined(set(METRIC_NAME.findall(path.read_text())), defined_metrics())
    assert not unknown, f"{path} queries metrics no code defines: {sorted(unknown)}"


def test_the_check_sees_collector_families_and_rejects_unknown_names() -> None:
    defined = defined_metrics()
    assert "motcua_ratings_followups_open" in defined  # yielded at scrape time only
    assert undefined({"motcua_http_request_duration_seconds_bucket"}, defined) == set()
    assert undefined({"motcua_nothing_total"}, defined) == {"motcua_nothing_total"}
