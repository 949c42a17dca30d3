"""Public interface of routing: what other services, the pages and the demo loader may call."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from . import deadlines, stats
from .extensions import decide_extension, request_extension
from .holidays import YearNotPublished, import_official_year, set_calendar_days
from .models import (
    DeadlineExtension,
    DeadlinePolicy,
    RoutingRule,
    TimeUnit,
)

__all__ = [
    "COLOURS",
    "ExtensionPhase",
    "TimeUnit",
    "YearNotPublished",
    "case_ids_in_colour",
    "create_deadline_policy",
    "create_rule",
    "deadline_colours",
    "decide_extension",
    "import_official_year",
    "monthly_stats",
    "request_extension",
    "set_calendar_days",
    "township_figures",
]

COLOURS = deadlines.COLOURS  # ("green", "yellow", "red")
ExtensionPhase = DeadlineExtension.Phase  # which deadline a 延期申请 moves


def deadline_colours(case_ids: Iterable[int], now: datetime | None = None) -> dict[int, str]:
    """三色预警 of these cases now: "green" | "yellow" | "red". Cases without a running
    deadline (unassigned, resolved, or no policy) are absent. Active tenant scope; one query."""
    return deadlines.colours(case_ids, now)


def case_ids_in_colour(colour: str, now: datetime | None = None) -> QuerySet:
    """Ids of the active tenant's cases whose deadline is `colour` now, as a values_list
    usable in `Case.objects.filter(pk__in=...)`. Raises ValueError for an unknown colour."""
    return deadlines.in_colour(colour, now)


def monthly_stats(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """{"year", "month", "departments": [...], "regions": [...]}: per department / township,
    received, signed_on_time, resolved, resolved_on_time, returned, avg_handling_hours and
    p90_handling_hours (None when nothing was resolved)."""
    return stats.monthly_stats(tenant_id, year, month)


def township_figures(tenant_id: int, year: int, month: int) -> dict[int | None, dict[str, Any]]:
    """Per township id, the month's deadline figures for the governance index (治理指数):
    assigned, signed_on_time, resolved, resolved_on_time, returned, median_sign_for_hours,
    median_handling_hours (of the month's assignments), due and overdue (of the resolve
    deadlines falling due in the month). See stats.township_figures."""
    return stats.township_figures(tenant_id, year, month)


@transaction.atomic
def create_rule(
    tenant,
    name: str,
    department,
    *,
    scenario_codes: list[str],
    order: int = 100,
    region=None,
    channels: Sequence[str] = (),
    priority: int | None = None,
    keywords: Sequence[str] = (),
    field_conditions: Sequence[dict[str, Any]] = (),
    co_departments: Sequence = (),
    set_priority: int | None = None,
    deadline_policy: DeadlinePolicy | None = None,
    nearest_officer_km: float | None = None,
) -> RoutingRule:
    """Adds a rule as data (the admin validates what staff type; callers pass valid data)."""
    rule = RoutingRule.objects.create(
        tenant=tenant,
        name=name,
        department=department,
        scenario_codes=list(scenario_codes),
        order=order,
        region=region,
        channels=list(channels),
        priority=priority,
        keywords=list(keywords),
        field_conditions=list(field_conditions),
        set_priority=set_priority,
        deadline_policy=deadline_policy,
        nearest_officer_km=nearest_officer_km,
    )
    if co_departments:
        rule.co_departments.set(co_departments)
    return rule


@transaction.atomic
def create_deadline_policy(
    tenant,
    name: str,
    *,
    sign_for: tuple[int, str],
    resolve: tuple[int, str],
    scenario_code: str = "",
    is_default: bool = False,
    warn_share: str = "0.25",
) -> DeadlinePolicy:
    """A 办理时限, e.g. sign_for=(2, TimeUnit.HOURS), resolve=(5, TimeUnit.DAYS).

    A new default (is_default) takes over from the tenant's earlier default.
    """
    if is_default:
        DeadlinePolicy.objects.filter(tenant=tenant, is_default=True).update(is_default=False)
    return DeadlinePolicy.objects.create(
        tenant=tenant,
        name=name,
        scenario_code=scenario_code,
        is_default=is_default,
        sign_for_limit=sign_for[0],
        sign_for_unit=sign_for[1],
        resolve_limit=resolve[0],
        resolve_unit=resolve[1],
        warn_share=warn_share,
    )
