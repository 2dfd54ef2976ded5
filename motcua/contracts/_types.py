"""The closed list of event types the platform produces.

A type not listed here has no contract, so it is refused on produce and on consume.
"""

from __future__ import annotations

from enum import StrEnum

_PREFIX = "vn.motcua."


class EventType(StrEnum):
    """CloudEvents ``type`` values, ``vn.motcua.<aggregate>.<fact>.v<major>``."""

    DOSSIER_RECEIVED = "vn.motcua.dossier.received.v1"
    DOSSIER_ASSIGNED = "vn.motcua.dossier.assigned.v1"
    DOSSIER_SUPPLEMENT_REQUESTED = "vn.motcua.dossier.supplement_requested.v1"
    DOSSIER_SUPPLEMENT_RECEIVED = "vn.motcua.dossier.supplement_received.v1"
    DOSSIER_PAUSED = "vn.motcua.dossier.paused.v1"
    DOSSIER_RESUMED = "vn.motcua.dossier.resumed.v1"
    DOSSIER_RESCHEDULED = "vn.motcua.dossier.rescheduled.v1"
    DOSSIER_COMPLETED = "vn.motcua.dossier.completed.v1"
    DOSSIER_RETURNED = "vn.motcua.dossier.returned.v1"
    DOSSIER_REJECTED = "vn.motcua.dossier.rejected.v1"
    DOSSIER_WITHDRAWN = "vn.motcua.dossier.withdrawn.v1"
    DEADLINE_DUE_SOON = "vn.motcua.deadline.due_soon.v1"
    DEADLINE_OVERDUE = "vn.motcua.deadline.overdue.v1"
    DEADLINE_RESOLVED_LATE = "vn.motcua.deadline.resolved_late.v1"
    APOLOGY_ISSUED = "vn.motcua.apology.issued.v1"
    APOLOGY_DELIVERY_UPDATED = "vn.motcua.apology.delivery_updated.v1"
    RATING_INVITED = "vn.motcua.rating.invited.v1"
    RATING_SUBMITTED = "vn.motcua.rating.submitted.v1"
    RATING_FOLLOWUP_OPENED = "vn.motcua.rating.followup_opened.v1"
    RATING_FOLLOWUP_CLOSED = "vn.motcua.rating.followup_closed.v1"
    CALENDAR_OVERRIDE_CHANGED = "vn.motcua.calendar.override_changed.v1"

    @property
    def schema_name(self) -> str:
        """``dossier.received.v1``: names the schema file and the examples folder."""
        return self.value.removeprefix(_PREFIX)

    @property
    def schema_path(self) -> str:
        """Path of the data schema relative to the schemas directory."""
        return f"events/{self.schema_name}.json"
