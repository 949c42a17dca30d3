"""The command-room screen and the monthly report: who may open them, what they show, and
that one county never sees another's cases there."""

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from services.intake import api as intake
from tests.builders import build_county, campus_form
from tests.helpers import case, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = reverse("frontend:dashboard")


@pytest.fixture
def counties(db):
    return (
        build_county("county-a", "甲县", "+8610690000001"),
        build_county("county-b", "乙县", "+8610690000002"),
    )


def test_only_the_command_room_and_administrators_open_it(client, counties):
    a, _b = counties
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    for role, status in (("dispatcher", 200), ("admin", 200), ("labour", 403), ("desk", 403)):
        for url in (
            DASHBOARD,
            reverse("frontend:dashboard-live"),
            reverse("frontend:dashboard-report"),
        ):
            response = a.client(role).get(url)
            assert response.status_code == status, (role, url)
            if status == 403:
                assert "仅对本平台的指挥室调度员和平台管理员开放" in response.content.decode()


def test_the_screen_shows_the_queue_deadlines_counts_and_charts_of_its_county(counties):
    a, b = counties
    waiting = a.routed("campus", **campus_form())
    assigned = a.routed(description="<script>alert('x')</script>")
    foreign = b.routed()
    html = a.client("dispatcher").get(DASHBOARD).content.decode()
    assert waiting.tracking_number in html and assigned.tracking_number in html
    assert foreign.tracking_number not in html and "乙县" not in html
    queue = html[html.index('id="dispatch-queue"') : html.index('id="red-list"')]
    assert waiting.tracking_number in queue and assigned.tracking_number not in queue
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    for heading in ("按场景", "按镇街", "按状态", "今日", "本月"):
        assert heading in html
    assert html.count("<svg") == 3 and "近 30 天每日受理量" in html
    assert "<script src=" in html and "<script>" not in html.replace("&lt;script&gt;", "")


def test_overdue_cases_are_on_the_red_list(counties):
    a, _b = counties
    late = a.routed()
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=True):
        fresh = a.routed()
        html = a.client("dispatcher").get(reverse("frontend:dashboard-panels")).content.decode()
    red = html[html.index('id="red-list"') : html.index('id="yellow-list"')]
    assert late.tracking_number in red and fresh.tracking_number not in red


def test_live_json_gives_the_cases_after_the_newest_the_page_has(counties):
    a, b = counties
    first = a.routed()
    latest = intake.latest_case_id(a.tenant.pk)
    second = a.routed(description="新来的案件")
    b.routed()
    response = a.client("dispatcher").get(reverse("frontend:dashboard-live"), {"after": latest})
    data = json.loads(response.content)
    assert [c["tracking_number"] for c in data["cases"]] == [second.tracking_number]
    assert data["latest"] == second.pk
    assert data["cases"][0]["phone"] == "138****5678"
    assert first.tracking_number not in response.content.decode()


def test_the_monthly_report_ranks_townships_and_departments(counties):
    a, b = counties
    resolved = a.routed()
    labour = a.user("labour")
    intake.take_transition(resolved.pk, "sign_for", labour)
    intake.take_transition(resolved.pk, "resolve", labour, result="已结清")
    run_worker("deadlines")  # routing records the resolution against the deadline
    b.routed()
    month = timezone.localdate().strftime("%Y-%m")
    client = a.client("dispatcher")
    html = client.get(reverse("frontend:dashboard-report"), {"month": month}).content.decode()
    assert "甲县东镇" in html and "甲县人力社保局" in html and "乙县" not in html
    assert "治理指数排名" in html and "综合指数" not in html  # one index: the governance service's

    response = client.get(reverse("frontend:dashboard-report-file", args=["csv"]), {"month": month})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[rows.index(["镇街"]) + 1]
    east = dict(zip(header, next(r for r in rows if r[:1] == ["甲县东镇"]), strict=True))
    assert east["受理量"] == "1" and east["办结量"] == "1" and east["按时办结率%"] == "100.0"

    from openpyxl import load_workbook

    xlsx = client.get(reverse("frontend:dashboard-report-file", args=["xlsx"]), {"month": month})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["治理指数", "镇街", "部门"]
    departments = [r[0] for r in book["部门"].iter_rows(min_row=2, values_only=True)]
    assert set(departments) == {"甲县人力社保局", "甲县医疗保障局"}


def test_a_bad_month_is_a_clear_error(counties):
    a, _b = counties
    response = a.client("dispatcher").get(
        reverse("frontend:dashboard-report"), {"month": "2026-13"}
    )
    assert response.status_code == 400 and "请选择有效的年份和月份" in response.content.decode()
    response = a.client("dispatcher").get(reverse("frontend:dashboard-report"), {"month": "abc"})
    assert response.status_code == 400 and "YYYY-MM" in response.content.decode()


def test_satisfaction_and_reopens_reach_the_report(counties, sms_outbox):
    a, _b = counties
    done = a.routed()
    labour = a.user("labour")
    intake.take_transition(done.pk, "sign_for", labour)
    intake.take_transition(done.pk, "resolve", labour, result="已处理")
    from django_scopes import scope

    from services.intake.workflow import apply_survey_answer  # what the survey reply runs

    with scope(tenant=a.tenant.pk):
        apply_survey_answer(done.pk, 4, "不满意")  # reopens
        intake.take_transition(done.pk, "resolve", labour, result="再次处理")
        apply_survey_answer(done.pk, 2, "满意")  # closes
    assert case(done.pk).state == "closed"
    run_worker("deadlines")
    month = timezone.localdate().strftime("%Y-%m")
    response = a.client("admin").get(
        reverse("frontend:dashboard-report-file", args=["csv"]), {"month": month}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[rows.index(["部门"]) + 1]
    labour_row = dict(
        zip(header, next(r for r in rows if r[:1] == ["甲县人力社保局"]), strict=True)
    )
    assert labour_row["重办"] == "1"
    assert labour_row["评价数"] == "1" and labour_row["平均评分"] == "2.0"
    assert labour_row["平均评价"] == "满意"
    assert labour_row["满意率%"] == "100.0"


def test_the_report_opens_on_the_current_month_with_the_previous_one_a_click_away(counties):
    a, _b = counties
    client = a.client("dispatcher")
    with time_machine.travel(dt.datetime(2026, 3, 15, 10, tzinfo=dt.UTC), tick=False):
        html = client.get(reverse("frontend:dashboard-report")).content.decode()
    assert 'value="2026-03"' in html, "this month, not last month's empty page"
    assert f'href="{reverse("frontend:dashboard-report")}?month=2026-02"' in html
    with time_machine.travel(dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC), tick=False):
        html = client.get(reverse("frontend:dashboard-report")).content.decode()
    assert 'value="2026-01"' in html and "?month=2025-12" in html
