"""The fingerprint of a command: what makes a repeated ``event_id`` a replay or a misuse.

An ``event_id`` is an idempotency key. Sent again with the same command it replays the
stored outcome; sent with a different command (another transition, another dossier,
another receipt) it must be refused, not answered with the first command's outcome.
The fingerprint is the SHA-256 of the canonical JSON of the command as validated:
sorted keys, no insignificant whitespace, the instant in UTC (the same instant with
another offset is the same command), fields left at their default omitted (so a field
added later with a default does not change the fingerprint of older commands), and the
``event_id`` itself left out.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from motcua.contracts import format_instant
from services.intake.dossier.models import Command


def fingerprint(command: Command, dossier_code: str | None = None) -> bytes:
    """``dossier_code`` for a transition (the request names its dossier); None for a receipt."""
    canonical = command.model_dump(mode="json", exclude={"event_id"}, exclude_defaults=True)
    canonical["occurred_at"] = format_instant(command.occurred_at.astimezone(UTC))
    canonical["kind"] = "receive" if dossier_code is None else "transition"
    if dossier_code is not None:
        canonical["dossier_code"] = dossier_code
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).digest()
