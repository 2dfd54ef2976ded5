"""The real-time indicator groups of Quyết định 766/QĐ-TTg that Motcua's data supports,
as the national portal shows them (``docs/domain.md``; reconstructed from the portal's API,
the Decision's text unread — unconfirmed).

A part below its threshold scores ``rate × points ÷ threshold``; at or above it, full.
Groups Motcua cannot compute are named with the reason, never given a number:
transparency (18), online payment (10), digitisation (22), and within satisfaction the
"satisfaction with feedback handling" part (no survey of it exists here).

Assumed weights inside a group (the portal does not publish them): online service 12 =
procedures offered online 6 (full at 80%) + online dossiers 6 (full at 50%); satisfaction
18 = three parts of 6, full at 90%.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.reporting.formulas._rates import share

_POINTS = Decimal("0.01")


@dataclass(frozen=True)
class Part:
    name: str
    max_points: Decimal
    threshold: Decimal
    rate: Decimal | None

    @property
    def points(self) -> Decimal | None:
        if self.rate is None:
            return None
        earned = self.max_points * min(Decimal(1), self.rate / self.threshold)
        return earned.quantize(_POINTS, ROUND_HALF_UP)


@dataclass(frozen=True)
class Group:
    name: str
    max_points: Decimal
    parts: tuple[Part, ...]
    not_computed: tuple[str, ...] = ()
    """Parts of the group Motcua has no data for, by name."""

    @property
    def points(self) -> Decimal | None:
        """The group's points when every part could be computed, else None."""
        if self.not_computed or any(p.points is None for p in self.parts):
            return None
        return sum((p.points for p in self.parts if p.points is not None), Decimal(0))


NOT_COMPUTED_GROUPS = {
    "transparency": "công khai, minh bạch (18 điểm): dữ liệu công khai thủ tục không có ở đây",
    "online_payment": "thanh toán trực tuyến (10 điểm): chưa có dữ liệu thanh toán",
    "digitisation": "số hoá hồ sơ (22 điểm): chưa có dữ liệu số hoá",
}


def timeliness(*, on_time: int, handled: int) -> Group:
    """Finished on time (portal's view) plus in progress on time, over those dossiers."""
    return Group(
        "timeliness",
        Decimal(20),
        (Part("on_time", Decimal(20), Decimal(1), share(on_time, handled)),),
    )


def online_service(
    *, procedures_online: int, procedures: int, online_dossiers: int, dossiers: int
) -> Group:
    return Group(
        "online_service",
        Decimal(12),
        (
            Part(
                "procedures_online",
                Decimal(6),
                Decimal("0.8"),
                share(procedures_online, procedures),
            ),
            Part("online_dossiers", Decimal(6), Decimal("0.5"), share(online_dossiers, dossiers)),
        ),
    )


def handling_satisfaction(*, late: int, dissatisfied: int, finished: int) -> Decimal | None:
    """100% − (late rate + dissatisfied rate) over finished dossiers: silence counts as
    satisfaction here, which is why the reports show it beside the valid-answers rate."""
    if finished == 0:
        return None
    unhappy = min(finished, late + dissatisfied)
    return share(finished - unhappy, finished)


def satisfaction(
    *, followups_on_time: int, followups: int, late: int, dissatisfied: int, finished: int
) -> Group:
    return Group(
        "satisfaction",
        Decimal(18),
        (
            Part(
                "feedback_on_time",
                Decimal(6),
                Decimal("0.9"),
                share(followups_on_time, followups),
            ),
            Part(
                "handling",
                Decimal(6),
                Decimal("0.9"),
                handling_satisfaction(late=late, dissatisfied=dissatisfied, finished=finished),
            ),
        ),
        not_computed=("feedback_satisfaction",),
    )
