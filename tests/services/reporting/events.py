"""Valid events of one dossier's life, as intake, deadlines and ratings publish them, for
reporting's tests (each dossier its own id, code and unit path)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from motcua.calendar import default_calendar
from motcua.contracts import EventType, History, format_instant, new_event, validate_event
from motcua.dossier import LOCAL_ZONE, ClockState

ROOT = "000.00.00.B01"
PROVINCE = "000.00.00.H01"


def at(day: int, hour: int, month: int = 11, minute: int = 0) -> datetime:
    """A moment of November 2026 in Vietnam's time (Mon 2, … Fri 27)."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_ZONE)


@dataclass
class Dossier:
    """Builds the events of one dossier in their order, each with the next sequence."""

    unit_path: tuple[str, ...] = (ROOT, PROVINCE, "000.00.01.H01")
    procedure_code: str = "1.001612"
    channel: str = "in_person"
    received_at: datetime = field(default_factory=lambda: at(2, 9))
    due_at: datetime = field(default_factory=lambda: at(11, 9))
    dossier_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    sequence: int = 0
    original_due_at: datetime | None = None
    history: History | None = None
    """Set for a dossier brought across by the history import (the envelope's mark)."""

    @property
    def code(self) -> str:
        number = int(self.dossier_id[:8], 16) % 10_000
        return f"{self.unit_path[-1]}-{self.received_at:%y%m%d}-{number:04d}"

    def _ref(self) -> dict[str, Any]:
        return {
            "dossier_id": self.dossier_id,
            "dossier_code": self.code,
            "unit_code": self.unit_path[-1],
            "unit_path": list(self.unit_path),
            "procedure_code": self.procedure_code,
        }

    def _clock(
        self,
        *,
        running: bool = True,
        closed: bool = False,
        due: bool = True,
        rescheduled: bool = False,
    ) -> dict[str, Any]:
        original = self.original_due_at or self.due_at
        return ClockState(
            running and not closed, self.due_at if due else None, original, rescheduled, closed
        ).as_json()

    def _event(
        self, event_type: EventType, when: datetime, clock: dict[str, Any], **data: Any
    ) -> dict[str, Any]:
        self.sequence += 1
        event = new_event(
            event_type,
            source="/motcua/intake",
            subject=self.dossier_id,
            time=when,
            data={**self._ref(), "sequence": self.sequence, "clock": clock, **data},
            history=self.history,
        )
        validate_event(event)
        return event

    def received(self) -> dict[str, Any]:
        self.original_due_at = self.due_at
        return self._event(
            EventType.DOSSIER_RECEIVED,
            self.received_at,
            self._clock(),
            channel=self.channel,
            applicant_ref="apl_abcdefghijklmnopqrstu",
            applicant_kind="citizen",
            contact_preference="sms",
            received_at=format_instant(self.received_at),
            clock_starts_at=format_instant(self.received_at),
            processing_time={"amount": 7, "unit": "working_days"},
            online_level="partial",
        )

    def supplement_requested(self, when: datetime) -> dict[str, Any]:
        return self._event(
            EventType.DOSSIER_SUPPLEMENT_REQUESTED,
            when,
            self._clock(running=False, due=False),
            phase="processing",
            reason="Thiếu giấy tờ chứng minh chỗ ở hợp pháp.",
        )

    def supplement_received(self, when: datetime, new_due: datetime) -> dict[str, Any]:
        self.due_at = new_due
        return self._event(
            EventType.DOSSIER_SUPPLEMENT_RECEIVED,
            when,
            self._clock(),
            clock_restarts_at=format_instant(when),
        )

    def rescheduled(self, when: datetime, new_due: datetime) -> dict[str, Any]:
        previous, self.due_at = self.due_at, new_due
        return self._event(
            EventType.DOSSIER_RESCHEDULED,
            when,
            self._clock(rescheduled=True),
            letter_number="15/PXL",
            previous_due_at=format_instant(previous),
            new_due_at=format_instant(new_due),
        )

    def assigned(self, when: datetime, handler: str) -> dict[str, Any]:
        return self._event(
            EventType.DOSSIER_ASSIGNED,
            when,
            self._clock(),
            kind="assign",
            handler_ref=handler,
            from_unit_code=self.unit_path[-1],
            to_unit_code=self.unit_path[-1],
            to_unit_path=list(self.unit_path),
        )

    def completed(self, when: datetime, *, late: bool | None = None) -> dict[str, Any]:
        is_late = when > self.due_at if late is None else late
        return self._event(
            EventType.DOSSIER_COMPLETED,
            when,
            self._clock(closed=True),
            outcome="granted",
            late=is_late,
        )

    def returned(self, when: datetime, channel: str = "counter") -> dict[str, Any]:
        return self._event(
            EventType.DOSSIER_RETURNED,
            when,
            self._clock(closed=True),
            channel=channel,
            contact_preference="sms",
            received_channel=self.channel,
        )

    def rejected(self, when: datetime) -> dict[str, Any]:
        return self._event(
            EventType.DOSSIER_REJECTED,
            when,
            self._clock(closed=True),
            reason="Không thuộc thẩm quyền giải quyết.",
            contact_preference="sms",
            received_channel=self.channel,
        )

    def withdrawn(self, when: datetime) -> dict[str, Any]:
        return self._event(
            EventType.DOSSIER_WITHDRAWN, when, self._clock(closed=True), reason="Công dân rút."
        )

    def apology(self, issued: datetime, new_due: datetime, episode: int = 1) -> dict[str, Any]:
        event = new_event(
            EventType.APOLOGY_ISSUED,
            source="/motcua/deadlines",
            subject=self.dossier_id,
            time=issued,
            data={
                **self._ref(),
                "episode": episode,
                "letter_number": f"{episode}/PXL",
                "letter_version": 1,
                "original_due_at": format_instant(self.due_at),
                "new_due_at": format_instant(new_due),
                "reason": "Cần xác minh thêm thông tin tại địa phương khác.",
                "issued_at": format_instant(issued),
            },
        )
        validate_event(event)
        return event

    def notice(
        self,
        state: str,
        when: datetime,
        *,
        message_id: str,
        sent_at: datetime | None = None,
        channel: str = "sms",
        episode: int = 1,
        letter_version: int = 1,
        fallback_channel: str | None = None,
    ) -> dict[str, Any]:
        """Where one notice of the dossier's letter stands, as deadlines publishes it; the
        deadline is one working day before the appointment the letter moved."""
        deadline = default_calendar().apology_deadline(self.original_due_at or self.due_at)
        data: dict[str, Any] = {
            **self._ref(),
            "episode": episode,
            "letter_number": f"{episode}/PXL",
            "letter_version": letter_version,
            "message_id": message_id,
            "channel": channel,
            "state": state,
            "apology_deadline": format_instant(deadline),
            "occurred_at": format_instant(when),
        }
        if sent_at is not None:
            data["sent_at"] = format_instant(sent_at)
        if state.startswith("failed"):
            data["reason"] = "Cổng SMS: số máy không tồn tại (lỗi 410)"
        if fallback_channel is not None:
            data["fallback_channel"] = fallback_channel
        event = new_event(
            EventType.APOLOGY_DELIVERY_UPDATED,
            source="/motcua/deadlines",
            subject=self.dossier_id,
            time=when,
            event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{message_id}:{state}")),
            data=data,
        )
        validate_event(event)
        return event

    def invited(self, when: datetime) -> dict[str, Any]:
        event = new_event(
            EventType.RATING_INVITED,
            source="/motcua/ratings",
            subject=self.dossier_id,
            time=when,
            data={
                **self._ref(),
                "invitation_id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.dossier_id)),
                "channels": ["sms"],
                "expires_at": format_instant(at(28, 9, month=12)),
            },
        )
        validate_event(event)
        return event

    def rated(
        self,
        when: datetime,
        overall: str = "very_satisfied",
        *,
        scores: dict[str, int] | None = None,
        valid: bool = True,
        channel: str = "web",
    ) -> dict[str, Any]:
        ref = self._ref()
        data: dict[str, Any] = {
            "rating_id": str(uuid.uuid4()),
            "dossier_id": self.dossier_id,
            "unit_code": ref["unit_code"],
            "unit_path": ref["unit_path"],
            "procedure_code": self.procedure_code,
            "channel": channel,
            "staff_present": channel in ("kiosk", "paper", "phone"),
            "valid": valid,
            "scores": {} if not valid else (scores or {"processing_time": 2, "staff_conduct": 2}),
            "followup": False,
        }
        if valid:
            data["overall"] = overall
        else:
            data["invalid_reason"] = "unreadable"
        event = new_event(
            EventType.RATING_SUBMITTED,
            source="/motcua/ratings",
            subject=self.dossier_id,
            time=when,
            data=data,
        )
        validate_event(event)
        return event
