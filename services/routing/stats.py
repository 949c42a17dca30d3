"""Monthly statistics of the routing side (月度统计), per department and per township.

Counted over the assignments made in the month (a case returned and reassigned counts once
for each department that received it). Handling time is wall-clock, from assignment to 办结.
"""

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from services.directory.api import region_choices

from .models import CaseDeadline

FIELDS = (
    "department_id",
    "department__name",
    "township_id",
    "assigned_at",
    "sign_due",
    "signed_at",
    "resolve_due",
    "resolved_at",
    "returned_at",
)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in the platform's time zone, as [start, end)."""
    if not 1 <= month <= 12:
        raise ValueError(_("月份应在 1 到 12 之间。"))
    tz = timezone.get_default_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def on_time(done: dt.datetime | None, due: dt.datetime | None) -> bool:
    """Done, and by its due (an assignment without a deadline cannot be late)."""
    return done is not None and (due is None or done <= due)


def metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    hours = [
        (r["resolved_at"] - r["assigned_at"]).total_seconds() / 3600
        for r in rows
        if r["resolved_at"] is not None
    ]
    average = sum(hours) / len(hours) if hours else None
    p90 = percentile(hours, 0.9)
    return {
        "received": len(rows),
        "signed_on_time": sum(on_time(r["signed_at"], r["sign_due"]) for r in rows),
        "resolved": len(hours),
        "resolved_on_time": sum(on_time(r["resolved_at"], r["resolve_due"]) for r in rows),
        "returned": sum(r["returned_at"] is not None for r in rows),
        "avg_handling_hours": round(average, 1) if average is not None else None,
        "p90_handling_hours": round(p90, 1) if p90 is not None else None,
    }


def _assigned_in(tenant_id: int, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """The assignments made in [start, end), as FIELDS."""
    with scopes_disabled():
        return list(
            CaseDeadline.objects.filter(
                tenant_id=tenant_id, assigned_at__gte=start, assigned_at__lt=end
            ).values(*FIELDS)
        )


def monthly_stats(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    rows = _assigned_in(tenant_id, *month_bounds(year, month))
    by_department: dict[int, list] = defaultdict(list)
    by_township: dict[int | None, list] = defaultdict(list)
    names: dict[int, str] = {}
    for row in rows:
        by_department[row["department_id"]].append(row)
        names[row["department_id"]] = row["department__name"]
        by_township[row["township_id"]].append(row)
    region_names = dict(region_choices(tenant_id)) if by_township else {}
    departments = [
        {"department_id": pk, "department_name": names[pk], **metrics(group)}
        for pk, group in sorted(by_department.items(), key=lambda item: names[item[0]])
    ]
    regions = [
        {
            "region_id": pk,
            "region_name": region_names.get(pk, "") if pk is not None else _("未指定区域"),
            **metrics(group),
        }
        for pk, group in sorted(by_township.items(), key=lambda item: (item[0] is None, item[0]))
    ]
    return {"year": year, "month": month, "departments": departments, "regions": regions}


def _median_hours(pairs: list[tuple[dt.datetime, dt.datetime | None]]) -> float | None:
    hours = sorted((end - begin).total_seconds() / 3600 for begin, end in pairs if end)
    if not hours:
        return None
    middle = len(hours) // 2
    value = hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
    return round(value, 2)


def township_figures(tenant_id: int, year: int, month: int) -> dict[int | None, dict[str, Any]]:
    """Per township id, the month's deadline figures the governance index reads:

    of the assignments made in the month, `assigned`, `signed_on_time`, `resolved`,
    `resolved_on_time`, `returned`, and the medians (hours, wall clock) from assignment to
    签收 (`median_sign_for_hours`) and to 办结 (`median_handling_hours`); of the resolve
    deadlines falling due in the month, `due` and `overdue` (not resolved by then). Counting
    the deadlines that fell due in the month, not those assigned in it, keeps a closed
    month's overdue share from changing as later days pass.
    """
    start, end = month_bounds(year, month)
    rows = _assigned_in(tenant_id, start, end)
    with scopes_disabled():
        due = list(
            CaseDeadline.objects.filter(
                # Only deadlines already passed: the rest of an open month is not yet late.
                tenant_id=tenant_id,
                resolve_due__gte=start,
                resolve_due__lt=min(end, timezone.now()),
            ).values_list("township_id", "resolve_due", "resolved_at", "returned_at")
        )
    by_township: dict[int | None, list] = defaultdict(list)
    for row in rows:
        by_township[row["township_id"]].append(row)
    figures: dict[int | None, dict[str, Any]] = {}
    for township, group in by_township.items():
        counted = metrics(group)
        figures[township] = {
            "assigned": counted["received"],
            "signed_on_time": counted["signed_on_time"],
            "resolved": counted["resolved"],
            "resolved_on_time": counted["resolved_on_time"],
            "returned": counted["returned"],
            "median_sign_for_hours": _median_hours(
                [(r["assigned_at"], r["signed_at"]) for r in group]
            ),
            "median_handling_hours": _median_hours(
                [(r["assigned_at"], r["resolved_at"]) for r in group]
            ),
            "due": 0,
            "overdue": 0,
        }
    empty = dict.fromkeys(
        (
            "assigned",
            "signed_on_time",
            "resolved",
            "resolved_on_time",
            "returned",
            "due",
            "overdue",
        ),
        0,
    )
    for township, resolve_due, resolved_at, returned_at in due:
        # A case returned before its due was not this assignment's to finish.
        if returned_at is not None and resolve_due is not None and returned_at <= resolve_due:
            continue
        entry = figures.setdefault(
            township, {**empty, "median_sign_for_hours": None, "median_handling_hours": None}
        )
        entry["due"] += 1
        entry["overdue"] += not on_time(resolved_at, resolve_due)
    return figures
