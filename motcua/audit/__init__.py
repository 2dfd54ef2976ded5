"""The audit trail: who did what to which record, when, from where, and the outcome.

Each service keeps its own log in its own schema (shared DDL in ``migrations/``),
append-only and hash-chained: every entry carries the hash of the one before, so
``manage verify-audit`` names the first entry changed, removed or inserted behind the
log's back. Entries never carry a citizen's personal data. Inspectors read them through
:func:`audit_router` (``GET /v1/audit`` and a page), scoped to their unit's subtree.
"""

from motcua.audit._cli import console_actor, verify_audit_command
from motcua.audit._entry import GENESIS, Action, ActorKind, AuditEntry, Outcome, entry_hash
from motcua.audit._store import (
    AuditFilter,
    AuditScope,
    ChainCheck,
    entry_json,
    read_entries,
    record,
    record_alone,
    sees_platform,
    verify_chain,
)
from motcua.audit._web import AuditDoors, PageRenderer, audit_filter, audit_router, token_checks

__all__ = [
    "GENESIS",
    "Action",
    "ActorKind",
    "AuditDoors",
    "AuditEntry",
    "AuditFilter",
    "AuditScope",
    "ChainCheck",
    "Outcome",
    "PageRenderer",
    "audit_filter",
    "audit_router",
    "console_actor",
    "entry_hash",
    "entry_json",
    "read_entries",
    "record",
    "record_alone",
    "sees_platform",
    "token_checks",
    "verify_audit_command",
    "verify_chain",
]
