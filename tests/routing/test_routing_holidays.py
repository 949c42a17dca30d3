"""法定节假日 imported from chinesecalendar (the State Council's notice): the admin action, the
demo, and the scheduled warning when next year is missing. Expected days are read from the
library, never typed here."""

import datetime as dt
import logging

import chinese_calendar
import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from services.eventbus import periodic
from services.routing import holidays, tasks
from services.routing.models import CalendarDay, WorkCalendar
from tests.builders import build_county

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def _calendar(tenant_id: int, year: int) -> dict[dt.date, str]:
    with scopes_disabled():
        rows = CalendarDay.objects.filter(tenant_id=tenant_id, date__year=year)
        return {row.date: row.kind for row in rows}


def test_importing_2026_yields_the_state_councils_days_off_and_make_up_days(county, client):
    with scopes_disabled():
        calendar = WorkCalendar.objects.create(tenant=county.tenant)
    admin = county.client("admin")
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=CST)):
        response = admin.post(
            reverse("admin:routing_workcalendar_changelist"),
            {"action": "import_official_holidays", "_selected_action": [calendar.pk]},
            follow=True,
        )
    assert response.status_code == 200
    days = _calendar(county.tenant.pk, 2026)
    library_off = {d for d in chinese_calendar.holidays if d.year == 2026}
    library_make_up = {d for d in chinese_calendar.workdays if d.year == 2026}
    assert {d for d, kind in days.items() if kind == "holiday"} == library_off
    assert {d for d, kind in days.items() if kind == "workday"} == library_make_up
    # A few known dates, as the library (not we) says they are.
    for day in (dt.date(2026, 2, 14), dt.date(2026, 2, 17), dt.date(2026, 10, 1)):
        expected = "workday" if chinese_calendar.is_workday(day) else "holiday"
        assert days[day] == expected, day
    assert f"已导入 2026 年的 {len(library_off) + len(library_make_up)} 个" in (
        response.content.decode()
    )
    with scopes_disabled():
        name = CalendarDay.objects.get(tenant=county.tenant, date=dt.date(2026, 2, 14)).name
    assert name.endswith("调休") and "春节" in name


def test_a_year_the_library_does_not_know_is_refused_with_a_clear_message(county):
    unknown = max(d.year for d in chinese_calendar.holidays) + 1
    with pytest.raises(holidays.YearNotPublished), scopes_disabled():
        holidays.import_official_year(county.tenant, unknown)


def test_the_demo_takes_its_holidays_from_the_library(demo):
    year = dt.date.today().year
    if not holidays.published(year):
        pytest.skip(f"chinesecalendar has no {year}")
    library = {d for d in chinese_calendar.holidays if d.year == year}
    assert {d for d, k in _calendar(demo.pk, year).items() if k == "holiday"} == library


def test_the_daily_check_warns_from_november_when_next_year_is_missing(county, caplog):
    assert any(job.task is tasks.check_next_years_holidays for job in periodic.jobs())
    last = max(d.year for d in chinese_calendar.holidays)

    assert holidays.warn_if_next_year_missing(dt.date(last - 1, 10, 31)) == []
    with caplog.at_level(logging.WARNING, logger="services.routing.holidays"):
        assert county.tenant.pk in holidays.warn_if_next_year_missing(dt.date(last - 1, 11, 1))
    assert f"has no holidays for {last}" in caplog.text

    with scopes_disabled():
        holidays.import_official_year(county.tenant, last)
    assert county.tenant.pk not in holidays.warn_if_next_year_missing(dt.date(last - 1, 11, 1))


def test_the_admin_warns_on_the_calendar_pages_when_next_year_is_missing(county):
    admin = county.client("admin")
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=CST)):
        page = admin.get(reverse("admin:routing_calendarday_changelist")).content.decode()
    assert "工作日历还没有 2027 年的法定节假日" in page
    with time_machine.travel(dt.datetime(2026, 6, 20, 9, tzinfo=CST)):
        page = admin.get(reverse("admin:routing_calendarday_changelist")).content.decode()
    assert "工作日历还没有" not in page
