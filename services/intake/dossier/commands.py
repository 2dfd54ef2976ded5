"""One command, whatever door it came through (request, batch item, Kafka message): parsed
and checked with no I/O, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from services.intake.dossier.code import DossierCode
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.models import ReceiveDossier, TransitionCommand
from services.intake.dossier.rules import IntakeRules
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


@dataclass(frozen=True)
class Parsed:
    """A command as validated: a receipt, or a transition and the code of its dossier
    (and its id, when the command's source knows it: an issued apology letter)."""

    command: ReceiveDossier | TransitionCommand
    dossier_code: str | None = None
    dossier_id: str | None = None


def parse_command(item: dict[str, Any], *, rules: IntakeRules) -> Parsed:
    """``{"kind": "receive", …}`` or ``{"kind": "transition", "dossier_code": …, …}``,
    validated with no I/O; raises :class:`IntakeError` (422) naming what is wrong."""
    fields = dict(item)
    kind = fields.pop("kind", None)
    try:
        if kind == "receive":
            receive = ReceiveDossier.model_validate(fields)
            check_occurred_at(receive.occurred_at, rules)
            return Parsed(receive)
        if kind == "transition":
            code = fields.pop("dossier_code", None)
            if not isinstance(code, str):
                raise _missing("dossier_code", "a transition needs its dossier_code")
            check_dossier_code(code, field="dossier_code")
            command = _transition.validate_python(fields)
            check_occurred_at(command.occurred_at, rules)
            return Parsed(command, code)
    except ValidationError as exc:
        raise invalid(exc) from exc
    raise _missing("kind", "kind must be 'receive' or 'transition'")


def checked(
    command: ReceiveDossier | TransitionCommand, rules: IntakeRules, dossier_code: str | None = None
) -> Parsed | IntakeError:
    """A command the HTTP layer already validated, its instant checked as
    :func:`parse_command` checks it; its refusal returned, for the unit of work to count."""
    try:
        check_occurred_at(command.occurred_at, rules)
    except IntakeError as exc:
        return exc
    return Parsed(command, dossier_code)


def parsed_or_refused(item: dict[str, Any], *, rules: IntakeRules) -> Parsed | IntakeError:
    """:func:`parse_command`, its refusal returned rather than raised: a batch answers it
    as that item's result."""
    try:
        return parse_command(item, rules=rules)
    except IntakeError as exc:
        return exc
