"""The ratings process killed (SIGKILL, at the crash point ``invitations-committed``) after
a batch's invitations committed and before its offsets did: the group's committed offsets
are shown behind those invitations at the kill, the restarted process commits past them
(it read them again), and every dossier still has exactly one ``rating.invited`` on the
output topic, its invitation the one made before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from motcua.crash_points import ENVIRONMENT_VARIABLE
from motcua.kafka import Topic
from tests.conftest import ROOT, Infra
from tests.integration import kafka_log
from tests.integration.conftest import wait_for
from tests.integration.ratings.conftest import (
    TOKEN_KEY,
    UNPUBLISHED,
    Written,
    closed_event,
    count,
    invited_events,
    produce_where,
)
from tests.live_server import free_port

DOSSIERS = 500
CRASH_POINT = "invitations-committed"


def _start(
    infra: Infra, ratings_url: str, group: str, log: Path, *, crash_at: str | None
) -> subprocess.Popen[bytes]:
    """``python -m services.ratings`` on the test's group; the crashing run keeps its relay
    off, so what reaches the output topic is published by the clean restart only (the relay's
    own republish after a kill, under the same ids, is the outbox tests' business)."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": ratings_url,
        "HTTP_PORT": str(free_port()),
        "HTTP_WORKERS": "1",
        "RATINGS_GROUP_ID": group,
        "RATINGS_TOKEN_KEY": TOKEN_KEY,
        "INVITATIONS_BATCH_SIZE": "20",
        "DELIVERY_ENABLED": "false",
        "OUTBOX_RELAY_ENABLED": "false" if crash_at else "true",
    }
    env.pop(ENVIRONMENT_VARIABLE, None)
    if crash_at:
        env[ENVIRONMENT_VARIABLE] = crash_at
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.ratings"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _invitations(ratings_url: str, ids: list[str]) -> dict[str, tuple[str, bytes]]:
    """Each invited dossier's invitation id and token hash."""
    with psycopg.connect(ratings_url) as conn:
        rows = conn.execute(
            "SELECT dossier_id::text, id::text, token_sha256 FROM rating_invitations "
            "WHERE dossier_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchall()
    return {dossier: (invitation, bytes(digest)) for dossier, invitation, digest in rows}


def _uncovered(written: Written, committed: dict[int, int], dossiers: set[str]) -> set[str]:
    """Those of ``dossiers`` whose message is at or past the group's committed offset."""
    return {d for d in dossiers if written[d][1] >= committed[written[d][0]]}


def test_a_sigkill_between_the_invitations_and_the_offsets_commit_redelivers_them_once(
    infra: Infra, ratings_url: str, tmp_path: Path
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(DOSSIERS)]
    group, log = f"test-crash-{uuid.uuid4().hex[:8]}", tmp_path / "ratings.log"
    output_from = kafka_log.ends(infra.bootstrap_servers, Topic.RATING_INVITATIONS.value)
    # The group starts where the test's events begin, not at the shared topic's beginning.
    kafka_log.start_group_at_end(infra.bootstrap_servers, group, [Topic.DOSSIER_EVENTS.value])
    written = produce_where(infra, [closed_event(dossier_id) for dossier_id in ids])
    ends: dict[int, int] = {}
    for partition, offset in written.values():
        ends[partition] = max(ends.get(partition, 0), offset + 1)

    first = _start(infra, ratings_url, group, log, crash_at=CRASH_POINT)
    try:
        returncode = first.wait(timeout=120)
    except subprocess.TimeoutExpired:
        first.kill()
        first.wait(10)
        pytest.fail(f"it never reached the crash point: {log.read_text()[-3000:]}")
    assert returncode == -signal.SIGKILL, f"it did not die at the crash point: {log.read_text()}"

    at_kill = _invitations(ratings_url, ids)
    committed_at_kill = kafka_log.committed(
        infra.bootstrap_servers, group, Topic.DOSSIER_EVENTS.value
    )
    assert at_kill, "no invitation committed before the crash point"
    assert len(at_kill) < DOSSIERS, "the crash came after the whole run"
    uncovered = _uncovered(written, committed_at_kill, set(at_kill))
    assert uncovered == set(at_kill), (
        "invitations committed whose messages' offsets were committed too: "
        f"{sorted(set(at_kill) - uncovered)[:5]}"
    )

    second = _start(infra, ratings_url, group, log, crash_at=None)
    try:
        wait_for(
            lambda: all(
                kafka_log.committed(infra.bootstrap_servers, group, Topic.DOSSIER_EVENTS.value)[p]
                >= end
                for p, end in ends.items()
            ),
            timeout_s=180,
            what="the restarted group committing past the test's events",
        )
        wait_for(
            lambda: count(ratings_url, UNPUBLISHED, ids) == 0,
            timeout_s=120,
            what="the relay publishing the invitations",
        )
        assert second.poll() is None, log.read_text()[-3000:]
        events = invited_events(infra, ratings_url, ids, output_from)
    finally:
        second.terminate()
        second.wait(30)

    committed_after = kafka_log.committed(
        infra.bootstrap_servers, group, Topic.DOSSIER_EVENTS.value
    )
    assert _uncovered(written, committed_after, uncovered) == set(), "not read again"
    assert events == {dossier_id: 1 for dossier_id in ids}, {
        dossier_id: events[dossier_id] for dossier_id in ids if events[dossier_id] != 1
    }
    after = _invitations(ratings_url, ids)
    assert len(after) == DOSSIERS
    assert {d: after[d] for d in at_kill} == at_kill, "the redelivery replaced an invitation"
    with psycopg.connect(ratings_url) as conn:
        delivered = {
            str(row[0])
            for row in conn.execute(
                "SELECT invitation_id FROM invitation_deliveries WHERE invitation_id = ANY(%s)",
                ([uuid.UUID(invitation) for invitation, _ in after.values()],),
            )
        }
    assert delivered == {invitation for invitation, _ in after.values()}, "a delivery is missing"
