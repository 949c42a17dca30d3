"""One satisfaction scale (services.satisfaction) from the survey SMS to the monthly report:
1 = 非常满意 … 5 = 非常不满意; 1–3 are satisfied and close the case, 4–5 reopen it.

A real reply goes through the signed Twilio webhook and the workers to the report, so the SMS
text, the parser, the reopen rule, the dashboard and the report are held to the same scale.
"""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from services import satisfaction
from tests.builders import resolved_case
from tests.helpers import case_now, reply, sms_to

pytestmark = pytest.mark.django_db(transaction=True)


def report_rows(client, department: str) -> dict[str, str]:
    month = timezone.localdate().strftime("%Y-%m")
    response = client.get(reverse("frontend:dashboard-report-file", args=["csv"]), {"month": month})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[rows.index(["部门"]) + 1]
    return dict(zip(header, next(r for r in rows if r[:1] == [department]), strict=True))


def test_a_reply_of_1_is_very_satisfied_all_the_way_to_the_report(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    assert "1非常满意 2满意 3基本满意 4不满意 5非常不满意" in sms_to(sms_outbox)[-1]

    assert reply(client, "1").status_code == 200
    drain("intake", "notify", "deadlines")
    assert (case_now(case).state, case_now(case).rating) == ("closed", 1)

    client.force_login(user_named("dispatcher"))
    labour = report_rows(client, "市人力社保局")
    assert labour["评价数"] == "1"
    assert labour["满意率%"] == "100.0", "1 is the best rating, not the worst"
    assert labour["平均评分"] == "1.0" and labour["平均评价"] == "非常满意"

    page = client.get(reverse("frontend:dashboard-report")).content.decode()
    assert "非常满意、满意、基本满意" in page, "the report says what counts as satisfied"
    dashboard = client.get(reverse("frontend:dashboard")).content.decode()
    chart = dashboard[dashboard.index("本月各镇街满意率") :]
    assert re.search(r">100%<", chart), "the township's bar is full"


def test_a_reply_of_5_reopens_and_counts_as_dissatisfied(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    reply(client, "5 还是很吵")
    drain("intake", "notify")
    assert (case_now(case).state, case_now(case).reopen_count) == ("in_progress", 1)
    assert sms_to(sms_outbox)[-1].endswith("的问题将重新办理。")


def test_the_web_survey_offers_the_scale_best_first_and_reads_it_the_same_way(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    token = re.search(r"/v/([\w-]+)/", sms_to(sms_outbox)[-1]).group(1)
    page = client.get(f"/v/{token}/").content.decode()
    choices = re.findall(r'name="rating" value="(\d)">([^<]+)<', page)
    assert choices == [(str(r), satisfaction.label(r)) for r in satisfaction.RATINGS]
    assert choices[0] == ("1", "非常满意")
    asked = client.post(f"/v/{token}/", {"rating": "3"}).content.decode()
    assert "基本满意" in asked and 'name="confirm"' in asked, "shows the choice, asks to confirm"
    client.post(f"/v/{token}/", {"rating": "3", "confirm": "1"})
    drain("intake", "notify")
    assert (case_now(case).state, case_now(case).rating) == ("closed", 3), "基本满意 closes"


def test_the_scale_itself():
    assert [satisfaction.is_satisfied(r) for r in satisfaction.RATINGS] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert satisfaction.average_label(1.4) == "非常满意"
    assert satisfaction.average_label(4.6) == "非常不满意"
    assert satisfaction.average_label(None) == ""
    assert satisfaction.menu("zh-hans", short=True) == "1非常满意…5非常不满意"
    assert satisfaction.is_rating("3") and not satisfaction.is_rating("6")
    assert not satisfaction.is_rating("3.0") and not satisfaction.is_rating(None)
