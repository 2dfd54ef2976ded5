"""The rules every write is decided by: the configurable parts of the law and the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from motcua.calendar import WorkingCalendar
from services.intake.dossier.window import InstantWindow
from services.intake.reference.catalog import ReferenceCatalog


@dataclass(frozen=True)
class IntakeRules:
    """The configurable parts of the law (docs/domain.md marks them so), and the catalogue."""

    calendar: WorkingCalendar
    catalog: ReferenceCatalog = field(default_factory=ReferenceCatalog)
    paper_cutoff: time = time(15)
    applicant_ref_key: bytes | None = None
    window: InstantWindow = field(default_factory=InstantWindow)
    reschedule_once: bool = True
