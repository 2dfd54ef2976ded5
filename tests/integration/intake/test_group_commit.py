"""Single receipts in flight together are committed together, and each still gets its own
answer: gapless numbers, one dossier per event id, a refusal changing nothing else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.integration.conftest import Systems, auth, receive_command, table_counts

CONCURRENT = 48


def _groups() -> tuple[float, float]:
    name = "motcua_intake_group_commit_receipts"
    return (
        REGISTRY.get_sample_value(f"{name}_count") or 0.0,
        REGISTRY.get_sample_value(f"{name}_sum") or 0.0,
    )


def _post_all(client: TestClient, systems: Systems, bodies: list[dict[str, Any]]) -> list[Any]:
    def post(body: dict[str, Any]) -> httpx.Response:
        return client.post("/v1/dossiers", json=body, headers=auth(systems.hanoi))

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(post, bodies))


def test_concurrent_receipts_share_commits_and_keep_their_own_answers(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    at = "2024-03-12T09:00:00+07:00"  # a day no other test receives on
    bodies = [receive_command(systems.hanoi_commune, occurred_at=at) for _ in range(CONCURRENT)]
    bodies[7] = receive_command(systems.hanoi_commune, occurred_at=at, procedure_code="9.999999")
    bodies[9] = dict(bodies[3])  # the same event id twice, at once
    groups, receipts = _groups()
    before = table_counts(intake_url)
    responses = _post_all(client, systems, bodies)
    statuses = [response.status_code for response in responses]
    assert statuses[7] == 422, statuses
    assert all(status == 201 for i, status in enumerate(statuses) if i != 7), statuses
    assert responses[9].json()["dossier_code"] == responses[3].json()["dossier_code"]
    replayed = [r.headers.get("Idempotent-Replayed") for r in (responses[3], responses[9])]
    assert sorted(replayed, key=str) == ["true", None] or sorted(replayed, key=str) == [
        None,
        "true",
    ]
    codes = {r.json()["dossier_code"] for i, r in enumerate(responses) if i != 7}
    assert len(codes) == CONCURRENT - 2
    sequences = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences))), "gapless"
    assert table_counts(intake_url)[0] == before[0] + CONCURRENT - 2
    for response in responses[:5]:
        body = response.json()
        assert body["receipt"]["dossier_code"] == body["dossier_code"]
        stored = client.get(f"/v1/dossiers/{body['dossier_code']}", headers=auth(systems.hanoi))
        assert stored.json()["timeline"][0]["event_id"] == body["event_id"]
    groups_after, receipts_after = _groups()
    assert receipts_after - receipts == CONCURRENT
    assert groups_after - groups < receipts_after - receipts, "some receipts shared a commit"
