"""``manage verify-audit`` and the console actor, alike in every service."""

from __future__ import annotations

import getpass
import os
import sys

import psycopg

from motcua.audit._store import verify_chain


def console_actor() -> str:
    """Who runs a ``manage`` command: the OS account (sudo's caller when under sudo)."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


def verify_audit_command(service: str, database_url: str) -> int:
    """Check the service's chain; 0 when intact, 1 naming the first broken entry."""
    with psycopg.connect(database_url) as conn:
        check = verify_chain(db_session=conn)
    if check.intact:
        print(f"{service}: audit log intact ({check.checked} entries checked)")
        return 0
    print(
        f"{service}: audit log BROKEN at entry {check.first_broken}: {check.reason} "
        f"({check.checked} entries before it are intact)",
        file=sys.stderr,
    )
    return 1
