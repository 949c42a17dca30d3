"""The command room's moves after 办结: 督办 of an escalated case (改派, 指挥室重办, 说明结案),
closing a case whose citizen cannot be reached, reopening; and the 督办 queue.

Each move: refused for the wrong role, one timeline row, its event published."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from services.intake import api as intake
from services.intake import workflow
from tests.builders import build_county
from tests.helpers import case, case_page, press, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def resolved(county, result: str = "已督促企业结清工资。"):
    assigned = county.routed()
    labour = county.user("labour")
    intake.take_transition(assigned.pk, "sign_for", labour)
    intake.resolve_case(assigned.pk, labour, result)
    return case(assigned.pk)


def apply_survey_answer(case_id: int, rating: int, comment: str) -> None:
    """What intake's survey.answered handler does (run scoped to the tenant like it); the
    scale (services.satisfaction) decides what the rating means."""
    with scopes_disabled():
        workflow.apply_survey_answer(case_id, rating, comment)


def escalated(county):
    """Resolved, dissatisfied, resolved again, dissatisfied again: waits for 督办."""
    first = resolved(county)
    apply_survey_answer(first.pk, 4, "还是没发工资")
    intake.resolve_case(first.pk, county.user("labour"), "再次督促。")
    apply_survey_answer(first.pk, 5, "仍然没有")
    now = case(first.pk)
    assert (now.state, now.escalated) == ("resolved", True)
    return now


def buttons(client, case_obj) -> set[str]:
    return set(re.findall(r'data-transition="(\w+)"', case_page(client, case_obj)))


def events_of(case_obj) -> list[str]:
    """Events published about the case, oldest first (one task row per subscriber)."""
    seen: list[str] = []
    for row in DBTaskResult.objects.order_by("enqueued_at", "pk"):
        args = row.args_kwargs.get("args") or []
        about = len(args) == 2 and isinstance(args[1], dict) and args[1].get("case_id")
        if about == case_obj.pk and args[0] not in seen[-1:]:
            seen.append(args[0])
    return seen


def last_row(case_obj):
    return case(case_obj.pk).timeline.last()


@pytest.mark.parametrize("move", ["close_by_dispatcher", "reopen_by_dispatcher", "reassign"])
@pytest.mark.parametrize("role", ["labour", "desk"])
def test_only_the_command_room_takes_the_moves_after_resolution(county, move, role):
    done = resolved(county)
    with pytest.raises(PermissionDenied):
        intake.take_transition(done.pk, move, county.user(role), note="试试")
    assert case(done.pk).state == "resolved"
    client = county.client(role)
    if role == "desk":
        # A desk reads only the cases it took in (need-to-know): not even the page.
        assert client.get(f"/admin/intake/case/{done.pk}/change/").status_code == 302
    else:
        assert move not in buttons(client, done)


def test_another_countys_dispatcher_cannot_close_the_case(county):
    other = build_county("county-b", "乙县", "+8610690000002")
    done = resolved(county)
    with pytest.raises(PermissionDenied):
        intake.take_transition(done.pk, "close_by_dispatcher", other.user("dispatcher"), note="x")


def test_dispatcher_closes_an_unreachable_citizens_case_with_a_reason(county):
    done = resolved(county)
    dispatcher = county.client("dispatcher")
    assert {"close_by_dispatcher", "reopen_by_dispatcher", "reassign"} <= buttons(dispatcher, done)
    assert press(dispatcher, done, "close_by_dispatcher") == [
        "请填写结案说明（市民可见，如：多次电话无法联系到市民）。"
    ]
    reason = "三次致电市民均未接通，已短信告知办理结果，予以结案。"
    assert press(dispatcher, done, "close_by_dispatcher", note=reason) == [
        f"案件 {done.tracking_number} 已说明结案。"
    ]
    row = last_row(done)
    assert (row.action, row.from_state, row.to_state, row.note) == (
        "close_by_dispatcher",
        "resolved",
        "closed",
        reason,
    )
    assert row.actor == county.user("dispatcher")
    assert events_of(done)[-1] == "case.closed"
    assert reason in [e["note"] for e in intake.public_timeline(done.pk)], "the citizen sees why"
    run_worker("notify")
    from services.notify.models import Survey

    with scopes_disabled():
        assert Survey.objects.get(case_id=done.pk).state == "cancelled", "no more asking"


def test_dispatcher_reopens_a_resolved_or_closed_case_to_its_department(county):
    done = resolved(county)
    dispatcher = county.user("dispatcher")
    intake.take_transition(done.pk, "reopen_by_dispatcher", dispatcher, note="现场复核未整改")
    now = case(done.pk)
    assert (now.state, now.department_id, now.reopen_count) == (
        "in_progress",
        county.departments["labour"].pk,
        1,
    )
    row = last_row(done)
    assert (row.action, row.to_state, row.note) == (
        "reopen_by_dispatcher",
        "in_progress",
        "现场复核未整改",
    )
    assert events_of(done)[-1] == "case.reopened"

    intake.resolve_case(done.pk, county.user("labour"), "已整改到位。")
    intake.take_transition(done.pk, "close_by_dispatcher", dispatcher, note="复核合格")
    intake.take_transition(done.pk, "reopen_by_dispatcher", dispatcher, note="市民来电反映仍未解决")
    assert (case(done.pk).state, case(done.pk).reopen_count) == ("in_progress", 2)


def test_a_case_closed_without_a_department_cannot_be_reopened(county):
    spam = county.submit()
    dispatcher = county.user("dispatcher")
    intake.take_transition(spam, "invalidate", dispatcher, note="广告")
    with pytest.raises(intake.CaseConflict):
        intake.take_transition(spam, "reopen_by_dispatcher", dispatcher, note="误作废")


def test_supervision_reassigns_an_escalated_case_and_surveys_it_again(county):
    waiting = escalated(county)
    dispatcher = county.client("dispatcher")
    queue = dispatcher.get(reverse("admin:intake_case_changelist") + "?supervision=open")
    assert waiting.tracking_number in queue.content.decode()
    assert "督办中" in queue.content.decode()

    medical = county.departments["medical"]
    press(dispatcher, waiting, "reassign", department=str(medical.pk), note="督办：改由医保局办理")
    now = case(waiting.pk)
    assert (now.state, now.department_id, now.reopen_count) == ("assigned", medical.pk, 2)
    row = last_row(waiting)
    assert (row.action, row.from_state, row.to_state) == ("reassign", "resolved", "assigned")
    assert events_of(waiting)[-1] == "case.assigned"
    run_worker("deadlines", "notify")

    medical_user = county.user("medical")
    intake.take_transition(waiting.pk, "sign_for", medical_user)
    intake.resolve_case(waiting.pk, medical_user, "医保局已追回违规资金。")
    run_worker("notify")
    from services.notify.models import Survey

    with scopes_disabled():
        assert Survey.objects.get(case_id=waiting.pk, round=2).state == "open", "asked again"
    queue = dispatcher.get(reverse("admin:intake_case_changelist") + "?supervision=open")
    assert waiting.tracking_number in queue.content.decode(), "in the queue until closed"

    apply_survey_answer(waiting.pk, 1, "")
    assert case(waiting.pk).state == "closed"
    queue = dispatcher.get(reverse("admin:intake_case_changelist") + "?supervision=open")
    assert waiting.tracking_number not in queue.content.decode()
    settled = dispatcher.get(reverse("admin:intake_case_changelist") + "?supervision=settled")
    assert waiting.tracking_number in settled.content.decode()


def test_supervision_can_close_with_an_explanation(county):
    waiting = escalated(county)
    dispatcher = county.user("dispatcher")
    note = "经核实企业已按劳动仲裁结果支付，市民诉求超出仲裁范围，已电话解释。"
    intake.take_transition(waiting.pk, "close_by_dispatcher", dispatcher, note=note)
    assert case(waiting.pk).state == "closed"
    assert last_row(waiting).note == note


def test_a_dissatisfaction_after_supervision_goes_back_to_the_command_room(county):
    waiting = escalated(county)
    dispatcher = county.user("dispatcher")
    intake.take_transition(waiting.pk, "reopen_by_dispatcher", dispatcher, note="再办一次")
    intake.resolve_case(waiting.pk, county.user("labour"), "第三次办理。")
    apply_survey_answer(waiting.pk, 5, "还是不行")
    now = case(waiting.pk)
    assert (now.state, now.escalated, now.rating) == ("resolved", True, 5)
    row = last_row(waiting)
    assert row.action == "escalate" and "还是不行" in row.note_text
    assert events_of(waiting)[-1] == "case.escalated"
