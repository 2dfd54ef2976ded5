"""What every service means by a dossier's codes, its clock and its lateness.

Intake owns each dossier's clock and states it on every event (:class:`ClockState`);
deadlines and reporting read it from there. Keeping the definitions here means "late",
"overdue", a time unit or a unit code cannot mean one thing in intake and another in the
services that count on it. Pure: no I/O.
"""

from motcua.dossier._clock import (
    ClockState,
    ProcessingTime,
    TimeUnit,
    finished_late,
    is_overdue,
    local_instant,
)
from motcua.dossier._codes import (
    DOSSIER_CODE_PATTERN,
    LOCAL_ZONE,
    PROCEDURE_CODE_PATTERN,
    UNIT_CODE_PATTERN,
)

__all__ = [
    "DOSSIER_CODE_PATTERN",
    "LOCAL_ZONE",
    "PROCEDURE_CODE_PATTERN",
    "UNIT_CODE_PATTERN",
    "ClockState",
    "ProcessingTime",
    "TimeUnit",
    "finished_late",
    "is_overdue",
    "local_instant",
]
