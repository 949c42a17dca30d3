"""What the command-room screen and the monthly report show, gathered from the services'
public api modules. Plain functions; the views only render them.

The monthly report (月度考核) ranks townships by the governance index (治理指数), which
services/governance owns and computes; below it, the figures it partly draws on: routing's
(received, on time, returned, handling time) joined with intake's (reopened, satisfaction)
per township and per department.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services import satisfaction
from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing

from . import dashboard_charts as charts

FEED_LENGTH = 20
LIST_LENGTH = 30
CHART_DAYS = 30


def _start_of_day(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


def panels(tenant_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The screen's lists and counts: dispatch queue, red and yellow deadlines, today's and
    this month's cases by scenario, township and state. Runs in the tenant's scope."""
    now = now or timezone.now()
    today = _start_of_day(now)
    return {
        "counts": count_tables(
            intake.counts_since(tenant_id, today),
            intake.counts_since(tenant_id, today.replace(day=1)),
        ),
        "dispatch_queue": intake.case_cards(
            tenant_id, states=[intake.CaseState.NEEDS_DISPATCH], limit=LIST_LENGTH
        ),
        "dispatch_total": intake.open_case_count(tenant_id, intake.CaseState.NEEDS_DISPATCH),
        "red": intake.case_cards(
            tenant_id, ids=routing.case_ids_in_colour("red", now), limit=LIST_LENGTH
        ),
        "yellow": intake.case_cards(
            tenant_id, ids=routing.case_ids_in_colour("yellow", now), limit=LIST_LENGTH
        ),
    }


COUNT_TITLES = (
    ("scenario", gettext_lazy("按场景")),
    ("township", gettext_lazy("按镇街")),
    ("state", gettext_lazy("按状态")),
)


def count_tables(today: dict, month: dict) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(title, [(label, today, this month)]) per grouping; every label of the month listed."""
    tables = []
    for key, title in COUNT_TITLES:
        today_counts = dict(today[key])
        rows = [(label, today_counts.get(label, 0), n) for label, n in month[key]]
        tables.append((str(title), rows))
    return tables


def feed(tenant_id: int, after_id: int | None = None) -> list[intake.CaseCard]:
    """The newest cases (after `after_id` when catching up), newest first."""
    return intake.case_cards(tenant_id, after_id=after_id, limit=FEED_LENGTH)


def chart_svgs(tenant_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Cases per day by scenario (30 days), on-time rate per department and the share satisfied
    per township (this month), as inline SVG."""
    now = timezone.localtime(now or timezone.now())
    first_day = now.date() - dt.timedelta(days=CHART_DAYS - 1)
    days, series = intake.daily_counts_by_scenario(tenant_id, first_day, CHART_DAYS)
    stats = routing.monthly_stats(tenant_id, now.year, now.month)
    on_time = [
        (row["department_name"], _rate(row["resolved_on_time"], row["resolved"]))
        for row in stats["departments"]
    ]
    start, end = month_bounds(now.year, now.month)
    satisfied = [
        (row["township"], row["satisfied_rate"])
        for row in intake.satisfaction_by_township(tenant_id, start, end)
    ]
    return {
        "per_day": charts.stacked_days(_("近 30 天每日受理量（按场景）"), days, series),
        "on_time": charts.horizontal_bars(_("本月各部门按时办结率"), on_time, scale=100, unit="%"),
        "satisfaction": charts.horizontal_bars(
            _("本月各镇街满意率（%(meaning)s的占比）")
            % {"meaning": satisfaction.satisfied_meaning()},
            satisfied,
            scale=100,
            unit="%",
        ),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class ReportRow:
    """One township's or department's month (月度考核)."""

    name: str
    received: int
    signed_on_time: int
    resolved: int
    resolved_on_time: int
    on_time_rate: float | None  # % of resolved cases resolved by their deadline
    returned: int
    reopened: int
    rated: int
    average_rating: float | None  # on the scale of services.satisfaction: 1 is best
    satisfied_rate: float | None  # % of ratings the scale counts as satisfied
    avg_handling_hours: float | None
    p90_handling_hours: float | None

    @property
    def average_meaning(self) -> str:
        """What the average rating means in words (平均评价): the nearest rating's name."""
        return satisfaction.average_label(self.average_rating)


EMPTY_ROUTING = {
    "received": 0,
    "signed_on_time": 0,
    "resolved": 0,
    "resolved_on_time": 0,
    "returned": 0,
    "avg_handling_hours": None,
    "p90_handling_hours": None,
}
EMPTY_INTAKE = {"reopened": 0, "rated": 0, "average_rating": None, "satisfied": 0}


def _row(name: str, routed: dict, case_side: dict) -> ReportRow:
    on_time_rate = _rate(routed["resolved_on_time"], routed["resolved"])
    satisfied_rate = _rate(case_side["satisfied"], case_side["rated"])
    return ReportRow(
        name=name,
        received=routed["received"],
        signed_on_time=routed["signed_on_time"],
        resolved=routed["resolved"],
        resolved_on_time=routed["resolved_on_time"],
        on_time_rate=on_time_rate,
        returned=routed["returned"],
        reopened=case_side["reopened"],
        rated=case_side["rated"],
        average_rating=case_side["average_rating"],
        satisfied_rate=satisfied_rate,
        avg_handling_hours=routed["avg_handling_hours"],
        p90_handling_hours=routed["p90_handling_hours"],
    )


def _rows(names: dict[int, str], routed: list[dict], key: str, case_side: dict) -> list[ReportRow]:
    """Every named township/department (those without cases too), with both sides' figures,
    in the directory's order: the ranking is the governance index's (services/governance)."""
    by_id = {row[key]: row for row in routed}
    return [
        _row(name, by_id.get(pk, EMPTY_ROUTING), case_side.get(pk, EMPTY_INTAKE))
        for pk, name in names.items()
    ]


def monthly_report(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """Every township's and department's figures for the month. ValueError for a month that
    does not exist."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValueError(_("请选择有效的年份和月份。"))
    start, end = month_bounds(year, month)
    routed = routing.monthly_stats(tenant_id, year, month)
    case_side = intake.monthly_case_figures(tenant_id, start, end)
    townships = _rows(
        directory.townships(tenant_id), routed["regions"], "region_id", case_side["townships"]
    )
    departments = _rows(
        directory.department_names(tenant_id),
        routed["departments"],
        "department_id",
        case_side["departments"],
    )
    return {
        "year": year,
        "month": month,
        "townships": townships,
        "departments": departments,
    }


REPORT_COLUMNS = [
    ("name", gettext_lazy("名称")),
    ("received", gettext_lazy("受理量")),
    ("signed_on_time", gettext_lazy("按时签收")),
    ("resolved", gettext_lazy("办结量")),
    ("resolved_on_time", gettext_lazy("按时办结")),
    ("on_time_rate", gettext_lazy("按时办结率%")),
    ("returned", gettext_lazy("退回")),
    ("reopened", gettext_lazy("重办")),
    ("rated", gettext_lazy("评价数")),
    ("average_rating", gettext_lazy("平均评分")),
    ("average_meaning", gettext_lazy("平均评价")),
    ("satisfied_rate", gettext_lazy("满意率%")),
    ("avg_handling_hours", gettext_lazy("平均办理时长(小时)")),
    ("p90_handling_hours", gettext_lazy("90%办结时长(小时)")),
]


def report_table(rows: list[ReportRow]) -> list[list[Any]]:
    """The report's rows as cells, in REPORT_COLUMNS order (for the page and the files)."""
    return [[getattr(row, key) for key, _label in REPORT_COLUMNS] for row in rows]
