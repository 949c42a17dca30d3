"""Public holidays (法定节假日) and make-up working days (调休上班) from the State Council's
yearly notice, as published in the `chinesecalendar` package, so nobody types them by hand.

A tenant's administrator imports them (admin › 分拨 › 工作日历 › 导入法定节假日); a daily
scheduled check warns from November on when next year is still missing, as the notice usually
comes out in the autumn and a new `chinesecalendar` release follows it.
"""

import logging
from collections.abc import Iterable
from datetime import date

import chinese_calendar
from chinese_calendar.constants import Holiday
from django.db import transaction
from django_scopes import scopes_disabled

from services.directory import api as directory

from .models import CalendarDay

logger = logging.getLogger(__name__)

# From this month on, next year's calendar should be there.
WARN_FROM_MONTH = 11
_CHINESE_NAMES = {holiday.value: holiday.chinese for holiday in Holiday}


class YearNotPublished(LookupError):
    """The installed chinesecalendar does not know this year (not announced yet, or an old
    release of the package)."""


def published(year: int) -> bool:
    return any(day.year == year for day in chinese_calendar.holidays)


def official_days(year: int) -> tuple[list[tuple[date, str]], list[tuple[date, str]]]:
    """(holidays, make-up working days) of `year`, each as (date, Chinese name)."""
    if not published(year):
        raise YearNotPublished(year)

    def of_year(days: dict, suffix: str) -> list[tuple[date, str]]:
        return sorted(
            (day, f"{_CHINESE_NAMES.get(name, name)}{suffix}")
            for day, name in days.items()
            if day.year == year
        )

    return of_year(chinese_calendar.holidays, ""), of_year(chinese_calendar.workdays, "调休")


@transaction.atomic
def set_calendar_days(
    tenant, *, holidays: Iterable[tuple[date, str]] = (), workdays: Iterable[tuple[date, str]] = ()
) -> None:
    """Lists public holidays (节假日) and make-up working days (调休上班), replacing any
    earlier entry for the same date."""
    for days, kind in ((holidays, CalendarDay.Kind.HOLIDAY), (workdays, CalendarDay.Kind.WORKDAY)):
        for day, name in days:
            CalendarDay.objects.update_or_create(
                tenant=tenant, date=day, defaults={"kind": kind, "name": name}
            )


def import_official_year(tenant, year: int) -> int:
    """Imports `year`'s holidays and make-up days into the tenant's calendar (replacing entries
    on the same dates, keeping the tenant's own other days); returns how many days."""
    holidays, workdays = official_days(year)
    set_calendar_days(tenant, holidays=holidays, workdays=workdays)
    return len(holidays) + len(workdays)


def tenants_missing_year(year: int) -> list[int]:
    """Ids of tenants whose calendar lists no day at all in `year`."""
    with scopes_disabled():
        having = set(
            CalendarDay.objects.filter(date__year=year).values_list("tenant_id", flat=True)
        )
    return [tenant_id for tenant_id in directory.tenant_ids() if tenant_id not in having]


def warn_if_next_year_missing(today: date) -> list[int]:
    """The scheduled check: logs a warning per tenant whose calendar lacks next year (from
    November on); returns those tenants' ids."""
    if today.month < WARN_FROM_MONTH:
        return []
    year = today.year + 1
    missing = tenants_missing_year(year)
    for tenant_id in missing:
        logger.warning(
            "Tenant %s has no holidays for %s in its working calendar: %s",
            tenant_id,
            year,
            "import them in admin › 分拨 › 工作日历 (导入法定节假日)"
            if published(year)
            else "the installed chinesecalendar does not know that year yet; upgrade it",
        )
    return missing
