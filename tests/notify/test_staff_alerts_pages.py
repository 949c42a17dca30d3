"""督办提醒 where staff work: the unread count in the admin header, a list with links, and an
alert marked read when it is opened (it then leads to its case). Alerts are produced by the
real chain: a deadline turning red → escalation → the notify worker."""

import re

import pytest
from django_scopes import scopes_disabled

from services.routing.escalation import escalate_overdue
from services.routing.models import CaseDeadline
from tests.builders import build_county

pytestmark = pytest.mark.django_db(transaction=True)


def badge(page: str) -> int:
    found = re.search(r'class="badge" data-unread="(\d+)"', page)
    return int(found.group(1)) if found else 0


@pytest.fixture
def county_with_an_overdue_case(drain):
    county = build_county("county-a", "甲县", "+8610690000001")
    case = county.routed()
    with scopes_disabled():
        due = CaseDeadline.objects.get(case_id=case.pk, current=True).resolve_due
    escalate_overdue(due.replace(year=due.year + 1))
    drain("notify")
    return county, case


def test_the_header_counts_unread_alerts_and_opening_one_marks_it_read(
    county_with_an_overdue_case,
):
    county, case = county_with_an_overdue_case
    head = county.client("labour-head")

    index = head.get("/admin/").content.decode()
    unread = badge(index)
    assert unread >= 1, index
    listing = head.get("/alerts/").content.decode()
    assert case.tracking_number in listing
    [first_link, *_] = re.findall(r'href="(/alerts/\d+/)"', listing)

    opened = head.get(first_link)

    assert opened.status_code == 302
    assert opened["Location"] == f"/admin/intake/case/{case.pk}/change/"
    assert badge(head.get("/admin/").content.decode()) == unread - 1
    assert "已读" in head.get("/alerts/").content.decode()


def test_an_alert_is_opened_by_its_owner_only(county_with_an_overdue_case):
    county, _case = county_with_an_overdue_case
    listing = county.client("labour-head").get("/alerts/").content.decode()
    [link, *_] = re.findall(r'href="(/alerts/\d+/)"', listing)

    assert county.client("dispatcher").get(link).status_code == 404
    theirs = county.client("labour").get("/alerts/").content.decode()
    assert re.findall(r'href="/alerts/\d+/"', theirs) == [], "not a head: no alerts"
    assert badge(county.client("labour-head").get("/admin/").content.decode()) >= 1, "still unread"


def test_staff_without_alerts_see_no_badge_and_anonymous_visitors_are_sent_to_log_in(client, db):
    county = build_county("county-a", "甲县", "+8610690000001")
    page = county.client("labour").get("/admin/").content.decode()
    assert 'href="/alerts/"' in page and badge(page) == 0
    response = client.get("/alerts/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
