"""One audit entry and its hash: pure, so the chain can be checked anywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = b"\x00" * 32
"""The ``prev_hash`` of a log's first entry."""


class ActorKind(StrEnum):
    OFFICER = "officer"
    """A signed-in officer (username)."""
    SYSTEM = "system"
    """An upstream or platform system calling with its API key (the key's name)."""
    ADMIN = "admin"
    """Someone at the server's console (``manage`` commands): the OS user."""
    SCHEDULER = "scheduler"
    """A job the service runs on its own (anonymisation, retention)."""
    ANONYMOUS = "anonymous"
    """Nobody known yet: a failed sign-in names the username tried, never trusted."""


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    """Not allowed: wrong password, throttled, out of scope, invalid."""
    FAILED = "failed"
    """Allowed, but it did not work (a downstream error)."""


@dataclass(frozen=True)
class Action:
    """What was done. ``details`` must never hold a citizen's personal data: codes,
    numbers, counts and reasons only (``tests`` scan for names and ID numbers)."""

    actor: str
    actor_kind: ActorKind
    action: str
    """Dotted, subject first: ``signin.failed``, ``letter.issued``, ``period.closed``."""
    record_type: str = ""
    record_id: str = ""
    unit_path: Sequence[str] = ()
    """Root-first path of the unit the record belongs to; an inspector sees the entry when
    their unit is on it. Empty: a platform-wide action, seen by inspectors of a top unit."""
    address: str | None = None
    """The client's address (the first hop the service sees)."""
    outcome: Outcome = Outcome.OK
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    action: Action
    prev_hash: bytes
    hash: bytes


def entry_fields(seq: int, at: datetime, action: Action) -> dict[str, Any]:
    """Every field of an entry as JSON values: what its hash covers, and what the API
    shows (with the hash)."""
    return {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": action.actor,
        "actor_kind": str(action.actor_kind),
        "action": action.action,
        "record_type": action.record_type,
        "record_id": action.record_id,
        "unit_path": list(action.unit_path),
        "address": action.address,
        "outcome": str(action.outcome),
        "details": dict(action.details),
    }


def canonical(seq: int, at: datetime, action: Action) -> bytes:
    """The bytes an entry's hash covers: every field, in a fixed order and encoding."""
    body = entry_fields(seq, at, action)
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(prev_hash: bytes, seq: int, at: datetime, action: Action) -> bytes:
    return hashlib.sha256(prev_hash + canonical(seq, at, action)).digest()
