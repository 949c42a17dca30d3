"""The registry of computed measures (计算口径): what a computed indicator can be.

Each measure is a small function of one township's month, read from the figures other
services publish through their api modules (intake: cases received, duplicates, 办结, 重办,
督办 and ratings; routing: deadlines kept and missed, response times; directory: residents).
`MonthFigures` fetches those once per (tenant, month), so computing a county's index is a
handful of grouped queries however many townships and indicators it has.

Rates are percentages (0–100); None means "no basis this month" (nothing to divide by), which
the index treats as "not scored" rather than as 0.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in the platform's time zone, as [start, end)."""
    tz = timezone.get_default_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


@dataclass
class MonthFigures:
    """The source figures of one tenant's month, each fetched on first use."""

    tenant_id: int
    year: int
    month: int

    @cached_property
    def cases(self) -> dict[int | None, dict[str, int]]:
        return intake.township_month_activity(self.tenant_id, *month_bounds(self.year, self.month))

    @cached_property
    def deadlines(self) -> dict[int | None, dict[str, Any]]:
        return routing.township_figures(self.tenant_id, self.year, self.month)

    @cached_property
    def populations(self) -> dict[int, int | None]:
        return directory.township_populations(self.tenant_id)

    def case(self, township: int, key: str) -> int:
        return self.cases.get(township, {}).get(key, 0)

    def deadline(self, township: int, key: str):
        return self.deadlines.get(township, {}).get(key)


def _share(part: float | None, whole: float | None) -> float | None:
    return round(100 * part / whole, 2) if whole and part is not None else None


@dataclass(frozen=True)
class Measure:
    code: str
    label: Promise
    definition: Promise
    direction: str  # the usual reading: "higher" or "lower" is better
    unit: str
    compute: Callable[[MonthFigures, int], float | None]


def _cases_per_10k(f: MonthFigures, town: int) -> float | None:
    population = f.populations.get(town)
    return round(10000 * f.case(town, "received") / population, 2) if population else None


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(
            "cases_per_10k",
            _("每万人受理量"),
            _("本月受理的案件数 ÷ 镇街常住人口 × 10000（镇街须填写常住人口）"),
            "lower",
            "",
            _cases_per_10k,
        ),
        Measure(
            "sign_for_on_time_rate",
            _("按时签收率"),
            _("本月分拨的案件中在签收时限内签收的占比"),
            "higher",
            "%",
            lambda f, t: _share(f.deadline(t, "signed_on_time"), f.deadline(t, "assigned")),
        ),
        Measure(
            "resolved_on_time_rate",
            _("按时办结率"),
            _("本月分拨并已办结的案件中在办结时限内办结的占比"),
            "higher",
            "%",
            lambda f, t: _share(f.deadline(t, "resolved_on_time"), f.deadline(t, "resolved")),
        ),
        Measure(
            "overdue_share",
            _("超期率"),
            _("本月到期的办结时限中未按时办结的占比"),
            "lower",
            "%",
            lambda f, t: _share(f.deadline(t, "overdue"), f.deadline(t, "due")),
        ),
        Measure(
            "returned_share",
            _("退回率"),
            _("本月分拨的案件中被部门退回的占比"),
            "lower",
            "%",
            lambda f, t: _share(f.deadline(t, "returned"), f.deadline(t, "assigned")),
        ),
        Measure(
            "reopen_rate",
            _("重办率"),
            _("本月重办次数 ÷ 本月办结次数"),
            "lower",
            "%",
            lambda f, t: _share(f.case(t, "reopened"), f.case(t, "resolutions")),
        ),
        Measure(
            "satisfied_share",
            _("满意率"),
            _(
                "本月市民的满意度评价中满意（非常满意、满意、基本满意）的占比；不满意而重办的评价也计入"
            ),
            "higher",
            "%",
            lambda f, t: _share(f.case(t, "satisfied"), f.case(t, "rated")),
        ),
        Measure(
            "escalation_rate",
            _("督办率"),
            _("本月督办次数 ÷ 本月受理量"),
            "lower",
            "%",
            lambda f, t: _share(f.case(t, "escalations"), f.case(t, "received")),
        ),
        Measure(
            "duplicate_share",
            _("重复件占比"),
            _("本月受理的案件中被标为疑似重复的占比"),
            "lower",
            "%",
            lambda f, t: _share(f.case(t, "duplicates"), f.case(t, "received")),
        ),
        Measure(
            "median_sign_for_hours",
            _("签收时长中位数"),
            _("本月分拨的案件从分拨到签收的小时数的中位数"),
            "lower",
            "h",
            lambda f, t: f.deadline(t, "median_sign_for_hours"),
        ),
        Measure(
            "median_handling_hours",
            _("办结时长中位数"),
            _("本月分拨的案件从分拨到办结的小时数的中位数"),
            "lower",
            "h",
            lambda f, t: f.deadline(t, "median_handling_hours"),
        ),
    )
}


def measure_choices() -> list[tuple[str, Promise]]:
    return [(m.code, m.label) for m in MEASURES.values()]
