"""Possible duplicates: a new case like an open one at the same place is linked for staff by the
intake worker; the citizen is never blocked; other places, scenarios or texts are left alone."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from services.intake.duplicates import flag_possible_duplicate, similarity
from services.intake.models import Case
from tests.builders import entry_token, wage_arrears_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_media")]

FIRST = "塘下工业区某某建筑公司拖欠我们三个月工资，老板电话打不通。"
SAME_AGAIN = "某某建筑公司拖欠我们三个月工资了，老板一直不接电话！"
UNRELATED = "宿舍楼道里的灯坏了很久，晚上很黑。"


def _submit(client, token, description, **overrides) -> Case:
    response = client.post(f"/c/{token}/", wage_arrears_form(description=description, **overrides))
    assert response.status_code == 302, "never blocked"
    with scopes_disabled():
        return Case.objects.get(access_key=response["Location"].split("/")[2])


def _refresh(case: Case) -> Case:
    with scopes_disabled():
        return Case.objects.select_related("possible_duplicate_of").get(pk=case.pk)


def test_similarity_of_chinese_texts():
    assert similarity("拖欠工资三个月", "拖欠工资三个月") == 1.0
    assert similarity("拖欠工资三个月", "路灯坏了") == 0.0
    assert 0.3 < similarity("老板拖欠工资三个月", "拖欠三个月工资的老板") < 1.0
    assert similarity("", "任何") == 0.0


def test_a_similar_case_at_the_same_code_is_linked_for_staff(client, demo, drain):
    token = entry_token(demo.pk, "欠薪")
    first = _submit(client, token, FIRST)
    second = _submit(client, token, SAME_AGAIN, reporter_phone="13900001111")
    other = _submit(client, token, UNRELATED, employer_name="宿舍管理处")

    drain("intake")

    assert _refresh(first).possible_duplicate_of is None, "the earlier case is the original"
    assert _refresh(second).possible_duplicate_of_id == first.pk
    assert _refresh(other).possible_duplicate_of is None
    with scopes_disabled():
        note = second.timeline.get(action="possible_duplicate")
    assert first.tracking_number in note.note_text and not note.public
    html = client.get(f"/s/{second.access_key}/").content.decode()
    assert first.tracking_number not in html, "the citizen does not see the staff's hint"
    assert "已受理" in html


def test_same_text_elsewhere_or_long_ago_or_closed_is_not_a_duplicate(client, demo, drain):
    wage = entry_token(demo.pk, "欠薪")
    first = _submit(client, wage, FIRST)
    # An old one: outside the window.
    with scopes_disabled():
        Case.objects.filter(pk=first.pk).update(created_at=first.created_at - dt.timedelta(days=30))
    second = _submit(client, wage, FIRST)
    drain("intake")
    assert _refresh(second).possible_duplicate_of is None

    # A closed one does not count either.
    with scopes_disabled():
        Case.objects.filter(pk=second.pk).update(state="closed")
    third = _submit(client, wage, FIRST)
    drain("intake")
    assert _refresh(third).possible_duplicate_of is None


def test_flagging_is_idempotent(client, demo, drain):
    token = entry_token(demo.pk, "欠薪")
    first = _submit(client, token, FIRST)
    second = _submit(client, token, SAME_AGAIN)
    drain("intake")
    from django_scopes import scope

    with scope(tenant=demo.pk):
        assert flag_possible_duplicate(second.pk) is None  # a redelivered event
        assert second.timeline.filter(action="possible_duplicate").count() == 1
    assert _refresh(second).possible_duplicate_of_id == first.pk
