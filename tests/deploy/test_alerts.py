"""The alert rules as Prometheus reads them: ``promtool check rules``, then ``promtool test
rules`` on made-up series (``deploy/prometheus/tests/alerts.test.yml``), with Debian's
promtool installed on demand — never skipped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.deploy._prometheus import PROMETHEUS_DIR, prometheus_binary

RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "tests" / "alerts.test.yml"


def _promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> str:
    done = subprocess.run(
        [prometheus_binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"promtool {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def test_rules_are_valid() -> None:
    assert "SUCCESS" in _promtool("check", "rules", str(RULES))


def test_rules_pass_their_unit_tests() -> None:
    assert "SUCCESS" in _promtool("test", "rules", str(RULE_TESTS))


def test_every_alert_has_a_unit_test() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test.get("alert_rule_test", [])}
    assert alerts == tested


def test_compose_scrape_config_is_valid(tmp_path: Path) -> None:
    """docker-compose's prometheus.yml, with its rule file where this checkout has it."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["rule_files"] = [str(RULES)]
    local = tmp_path / "prometheus.yml"
    local.write_text(yaml.safe_dump(config))
    assert "SUCCESS" in _promtool("check", "config", str(local))
