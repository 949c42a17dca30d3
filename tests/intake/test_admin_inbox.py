"""The case inbox: its columns, filters, searches, masking, escaping and export."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.builders import build_county
from tests.helpers import case, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "admin:intake_case_changelist"


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def listed_numbers(client, **params) -> set[str]:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200, response.content[:500]
    return {c.tracking_number for c in response.context["cl"].result_list}


def test_the_list_shows_the_working_columns_with_masked_phones(county):
    assigned = county.routed(reporter_phone="138 1234 5678")
    html = county.client("labour").get(reverse(LIST)).content.decode()
    for heading in ("受理编号", "场景", "区域", "承办部门", "状态", "时限", "已受理", "重办次数"):
        assert heading in html
    assert assigned.tracking_number in html
    assert "138****5678" in html
    assert "13812345678" not in html and "+8613812345678" not in html
    assert "deadline-green" in html  # the badge of a fresh assignment


@pytest.mark.parametrize(
    ("role", "full"),
    [("labour", True), ("medical", True), ("dispatcher", True), ("admin", False)],
)
def test_the_full_phone_is_on_the_case_page_only_for_those_who_call_back(county, role, full):
    assigned = county.routed(reporter_phone="13812345678")
    html = (
        county.client(role)
        .get(reverse("admin:intake_case_change", args=[assigned.pk]))
        .content.decode()
    )
    assert ("+8613812345678" in html) is full
    assert ("138****5678" in html) is not full


def test_search_by_tracking_number_phone_as_typed_and_text(county):
    first = county.routed(reporter_phone="13812345678", description="工地拖欠工资三个月")
    second = county.routed(reporter_phone="13900001111", description="饭店老板不发工资")
    client = county.client("dispatcher")
    assert listed_numbers(client, q=first.tracking_number) == {first.tracking_number}
    assert listed_numbers(client, q="139 0000 1111") == {second.tracking_number}
    assert listed_numbers(client, q="+86 138-1234-5678") == {first.tracking_number}
    assert listed_numbers(client, q="饭店") == {second.tracking_number}
    assert listed_numbers(client, q="1381234") == set()  # a partial number finds no one


def test_filters_by_colour_date_township_and_state(county):
    old = county.routed()
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=True):
        fresh = county.routed()
        medical = county.routed(
            "medical_insurance", description="医保违规", institution="某诊所", abuse_type="其他"
        )
        client = county.client("dispatcher")
        assert listed_numbers(client, colour="red") == {old.tracking_number}
        assert fresh.tracking_number in listed_numbers(client, colour="green")
        assert old.tracking_number not in listed_numbers(client, colour="green")
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        recent = listed_numbers(  # what the filter's "today" link sends
            client,
            created_at__gte=str(midnight),
            created_at__lt=str(midnight + dt.timedelta(days=1)),
        )
        assert recent == {fresh.tracking_number, medical.tracking_number}
        west = county.towns["西镇"].pk
        assert listed_numbers(client, township=str(west)) == {medical.tracking_number}
        assert old.tracking_number in listed_numbers(client, state__exact="assigned")
        assert listed_numbers(client, state__exact="closed") == set()


def test_the_list_never_counts_the_whole_table(county):
    county.routed()
    with CaptureQueriesContext(connection) as queries:
        county.client("dispatcher").get(reverse(LIST))
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the list should still count (a capped count) for its pagination"
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_citizen_text_is_shown_as_text_never_as_markup(county):
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    assigned = county.routed(description=hostile, employer_name="<b>老板</b>")
    html = (
        county.client("labour")
        .get(reverse("admin:intake_case_change", args=[assigned.pk]))
        .content.decode()
    )
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>老板</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;老板&lt;/b&gt;" in html
    assert "欠薪单位/老板" in html  # extra fields carry their labels


def test_internal_notes_join_the_timeline_for_staff_only(county):
    assigned = county.routed()
    client = county.client("labour")
    client.post(reverse("admin:intake_case_note", args=[assigned.pk]), {"note": "已电话联系企业"})
    note = case(assigned.pk).timeline.get(action="note")
    assert (note.note, note.public, note.actor_id) == (
        "已电话联系企业",
        False,
        county.user("labour").pk,
    )
    page = client.get(reverse("admin:intake_case_change", args=[assigned.pk])).content.decode()
    assert "已电话联系企业" in page


def test_csv_export_of_the_filtered_list(county):
    wanted = county.routed(description='=HYPERLINK("http://evil")', reporter_phone="13812345678")
    county.routed("medical_insurance", description="医保", institution="某诊所", abuse_type="其他")
    client = county.client("dispatcher")
    scenario = wanted.scenario_id
    page = client.get(reverse("admin:intake_case_export"), {"scenario__id__exact": scenario})
    assert "共 1 件案件" in page.content.decode()
    response = client.get(
        reverse("admin:intake_case_export_file", args=["csv"]), {"scenario__id__exact": scenario}
    )
    assert response["X-Export-Rows"] == "1"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "受理编号" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["受理编号"] == wanted.tracking_number
    assert row["联系电话"] == "'+8613812345678"  # the case page's rule; text, not a formula
    assert row["问题描述"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert row["时限预警"] == "绿"


def test_excel_export_opens_with_the_same_rows(county):
    from openpyxl import load_workbook

    first, second = county.routed(), county.routed()
    response = county.client("labour").get(reverse("admin:intake_case_export_file", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    numbers = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [second.tracking_number, first.tracking_number]  # the list's order


def test_the_dispatch_queue_reaches_the_list_by_state(county):
    from tests.builders import campus_form

    county.submit("campus", **campus_form())
    run_worker("routing")
    numbers = listed_numbers(county.client("dispatcher"), state__exact="needs_dispatch")
    assert len(numbers) == 1
