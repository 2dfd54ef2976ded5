"""`make up`'s receipts: the recording channels of ratings and of both deadlines processes
answer the demo's way on their own service's webhook, with secrets generated once, and
the settings accept what the stack sets."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from motcua.delivery import DeliverySettings
from tests.scripts import load_script

URLS = {"DEADLINES_URL": "http://127.0.0.1:8002", "RATINGS_URL": "http://127.0.0.1:8003"}


def _stack() -> ModuleType:
    return load_script("deploy/local/stack.py")


def test_each_service_answers_on_its_own_webhook_with_its_own_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECORDING_RECEIPTS", raising=False)
    stack = _stack()
    state = stack.State(tmp_path)
    processes = {p.name: p for p in stack.SERVICE_PROCESSES}
    envs = {
        name: stack.receipts_env(state, processes[name], URLS)
        for name in ("deadlines", "deadlines-web", "ratings")
    }
    assert envs["deadlines"] == envs["deadlines-web"], "the sender and the webhook agree"
    assert envs["deadlines"]["DELIVERY_CALLBACK_BASE_URL"] == URLS["DEADLINES_URL"]
    assert envs["ratings"]["DELIVERY_CALLBACK_BASE_URL"] == URLS["RATINGS_URL"]
    assert envs["ratings"]["RECORDING_RECEIPTS"] == "demo"
    secret = "DELIVERY_RECEIPT_SECRET_SMS"
    assert envs["ratings"][secret] != envs["deadlines"][secret]
    assert stack.receipts_env(state, processes["ratings"], URLS) == envs["ratings"], "kept"
    for env in envs.values():
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = DeliverySettings()
        assert settings.recording_receipts == "demo"
        assert len(settings.delivery_receipt_secret_zalo.get_secret_value()) >= 24
