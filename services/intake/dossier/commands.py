"""One command, whatever door it came through (batch item, Kafka message): parse and apply."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg import Connection
from pydantic import TypeAdapter, ValidationError

from services.intake.auth import Principal
from services.intake.dossier.code import DossierCode
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.models import ReceiveDossier, TransitionCommand
from services.intake.dossier.service import IntakeRules, Outcome, apply_transition, receive_dossier
from services.intake.dossier.transitions import UpstreamTransition

_transition: TypeAdapter[Any] = TypeAdapter(UpstreamTransition)


def invalid(error: ValidationError) -> IntakeError:
    """A pydantic error as the 422 every door reports, naming each field."""
    errors = [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors()
    ]
    fields = ", ".join(sorted({item["field"] for item in errors}))
    return IntakeError(
        422, "Invalid request", f"invalid fields: {fields}", errors=errors, reason="invalid"
    )


def _missing(field: str, detail: str) -> IntakeError:
    return IntakeError(
        422,
        "Invalid request",
        detail,
        errors=[{"field": field, "message": detail}],
        reason="invalid",
    )


def check_occurred_at(
    at: datetime,
    rules: IntakeRules,
    *,
    field: str = "occurred_at",
    now: datetime | None = None,
    ahead: bool = False,
) -> None:
    """Refuse an instant outside the plausible window (see ``dossier.window``) with a 422;
    ``ahead`` for a hypothetical instant (a preview), which may lie in the future."""
    window = rules.window.looking_ahead() if ahead else rules.window
    refusal = window.refusal(at, now or datetime.now(UTC))
    if refusal is not None:
        raise IntakeError(
            422,
            "Invalid request",
            refusal,
            errors=[{"field": field, "message": refusal}],
            reason="implausible_time",
        )


def check_dossier_code(code: str, *, field: str) -> None:
    """A malformed code names no dossier: 422 before it reaches a query."""
    try:
        DossierCode.parse(code)
    except ValueError as exc:
        raise _missing(field, "not a dossier code (unit-YYMMDD-NNNN)") from exc


Parsed = tuple[ReceiveDossier, None] | tuple[TransitionCommand, str]
"""A command as validated: a receipt, or a transition and the code of its dossier."""


def parse_command(item: dict[str, Any], *, rules: IntakeRules) -> Parsed:
    """``{"kind": "receive", …}`` or ``{"kind": "transition", "dossier_code": …, …}``,
    validated with no I/O; raises :class:`IntakeError` (422) naming what is wrong."""
    fields = dict(item)
    kind = fields.pop("kind", None)
    try:
        if kind == "receive":
            receive = ReceiveDossier.model_validate(fields)
            check_occurred_at(receive.occurred_at, rules)
            return receive, None
        if kind == "transition":
            code = fields.pop("dossier_code", None)
            if not isinstance(code, str):
                raise _missing("dossier_code", "a transition needs its dossier_code")
            check_dossier_code(code, field="dossier_code")
            command = _transition.validate_python(fields)
            check_occurred_at(command.occurred_at, rules)
            return command, code
    except ValidationError as exc:
        raise invalid(exc) from exc
    raise _missing("kind", "kind must be 'receive' or 'transition'")


def execute_command(
    item: dict[str, Any],
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
    maybe_replay: bool = True,
) -> Outcome:
    """Parse ``item`` (:func:`parse_command`) and apply it."""
    command, code = parse_command(item, rules=rules)
    if code is None:
        assert isinstance(command, ReceiveDossier)
        return receive_dossier(
            command,
            principal=principal,
            rules=rules,
            db_session=db_session,
            maybe_replay=maybe_replay,
        )
    assert isinstance(command, TransitionCommand)
    return apply_transition(code, command, principal=principal, rules=rules, db_session=db_session)
