"""`make up ARGS=--replicas 2`: two copies of every service process, each with its own
name (pid file and log), port and data dir, started with the settings of its kind, scraped
by Prometheus under its kind's job; management commands never see the receipts mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.deploy.test_stack_receipts import _stack


def test_every_copy_has_a_name_port_and_data_dir_of_its_own(tmp_path: Path) -> None:
    stack = _stack()
    state = stack.State(tmp_path)
    assert stack.stack_replicas(state, 2) == 2
    processes = stack.stack_processes(stack.State(tmp_path))  # kept in the state
    names = [p.name for p in processes]
    assert names == [
        "intake",
        "deadlines",
        "deadlines-web",
        "ratings",
        "reporting",
        "intake-2",
        "deadlines-2",
        "deadlines-web-2",
        "ratings-2",
        "reporting-2",
    ]
    assert len({p.port_key for p in processes}) == len(processes)
    assert len({p.url_variable for p in processes}) == len(processes)
    by_name = {p.name: p for p in processes}
    assert by_name["deadlines-web-2"].marker == "services.deadlines.officers_web"
    assert by_name["intake-2"].marker == "services.intake"
    assert by_name["deadlines-web-2"].job == "deadlines-web"
    assert by_name["deadlines-2"].data_dir(state) != by_name["deadlines"].data_dir(state)
    assert by_name["deadlines"].data_dir(state) == tmp_path / "data" / "deadlines"


def test_a_copy_gets_the_settings_of_its_kind(tmp_path: Path) -> None:
    stack = _stack()
    state = stack.State(tmp_path)
    urls = {
        f"{v}{suffix}": f"http://127.0.0.1:{9000 + n}"
        for n, (v, suffix) in enumerate(
            (v, s)
            for v in ("INTAKE_URL", "DEADLINES_URL", "RATINGS_URL", "REPORTING_URL")
            for s in ("", "_2")
        )
    }
    keys = stack.IntakeKeys("kd", "kr", "kp")
    for process in stack.SERVICE_PROCESSES:
        first = stack.process_env(state, process, urls, keys)
        second = stack.process_env(state, process.copy(2), urls, keys)
        assert second == first, process.name


def test_prometheus_scrapes_the_copies_under_their_kind(tmp_path: Path) -> None:
    stack = _stack()
    config = json.loads(
        stack.prometheus_config(
            {"intake": ["127.0.0.1:1", "127.0.0.1:2"]}, interval_s=5, rule_files=[]
        )
    )
    assert config["scrape_configs"] == [
        {"job_name": "intake", "static_configs": [{"targets": ["127.0.0.1:1", "127.0.0.1:2"]}]}
    ]


def test_replicas_below_one_are_refused(tmp_path: Path) -> None:
    stack = _stack()
    for asked in (0, -1):
        with pytest.raises(stack.StackError, match="--replicas"):
            stack.stack_replicas(stack.State(tmp_path), asked)


def test_management_commands_do_not_inherit_the_receipts_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECORDING_RECEIPTS", "delivered")
    env = _stack().manage_env("postgresql://example/motcua")
    assert "RECORDING_RECEIPTS" not in env
    assert env["DATABASE_URL"] == "postgresql://example/motcua"


def test_a_port_the_kernel_hands_out_twice_is_never_given_to_two_listeners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chaos run's third broker once got one port for both its listeners and refused to
    start: a probe socket's port may come back from the kernel once it is closed."""
    stack = _stack()
    handed = iter([40001, 40001, 40001, 40002])
    monkeypatch.setattr(stack, "free_port", lambda: next(handed))
    state = stack.State(tmp_path)
    first = state.port("KAFKA_3_PORT", any_port=True)
    second = state.port("KAFKA_3_CONTROLLER_PORT", any_port=True)
    assert (first, second) == (40001, 40002)
    assert stack.State(tmp_path).port("KAFKA_3_CONTROLLER_PORT", any_port=True) == 40002
