"""The whole co-governance journey through HTTP and the real workers' task code."""

import pytest
from django_tasks_db.models import DBTaskResult

from services import eventbus
from tests.builders import (
    press_transition,
    refreshed_case,
    sign_for_and_resolve,
    submit_by_phone_form,
)
from tests.helpers import post_signed

pytestmark = pytest.mark.django_db(transaction=True)


def _reply(client, body: str, sid: str, sender: str = "+8613812345678"):
    return post_signed(
        client,
        "/sms/inbound/",
        {
            "MessageSid": sid,
            "From": sender,
            "To": "+8610690012345",
            "Body": body,
        },
    )


def test_submission_is_routed_handled_surveyed_and_closed(
    client, demo, drain, sms_outbox, user_named
):
    case = submit_by_phone_form(client, demo)
    assert case.state == "submitted"
    assert case.reporter_phone == "+8613812345678"
    assert case.extra == {
        "employer_name": "某某建筑公司",
        "work_site": "新河镇塘下工业区",
        "amount_owed": "36000.00",
        "months_owed": 3,
        "workers_affected": 4,
    }
    # The event was stored with the case: a task per subscriber, on each service's own queue
    # (routing assigns, notify sends the receipt, intake checks for duplicates, the dashboard).
    queues = list(DBTaskResult.objects.values_list("queue_name", flat=True))
    assert len(queues) == len(eventbus.subscribers("case.submitted"))
    assert {"routing", "notify", "intake"} <= set(queues)

    receipt = client.get(f"/r/{case.access_key}/")
    assert case.tracking_number in receipt.content.decode()

    drain("routing")
    case = refreshed_case(case)
    assert case.state == "assigned"
    assert case.department.code == "labour"

    drain("notify")
    assert [m["to"] for m in sms_outbox] == ["+8613812345678"]
    assert case.tracking_number in sms_outbox[0]["body"]

    sign_for_and_resolve(client, user_named, case, "已督促企业结清全部工资。")
    assert refreshed_case(case).state == "resolved"

    drain("notify")
    survey_sms = sms_outbox[-1]["body"]
    assert "已督促企业结清全部工资" in survey_sms and "1非常满意" in survey_sms

    assert _reply(client, "1", "SM0001").status_code == 200
    drain("intake", "notify")

    case = refreshed_case(case)
    assert case.state == "closed"
    assert case.rating == 1
    assert sms_outbox[-1]["body"].endswith("感谢您的评价，我们将持续改进。")
    timeline = [(e.action, e.from_state, e.to_state, e.actor_label) for e in case.timeline.all()]
    assert timeline == [
        ("submit", "", "submitted", "市民"),
        ("route", "submitted", "assigned", "系统"),
        ("sign_for", "assigned", "in_progress", "市人力社保局经办人"),
        ("resolve", "in_progress", "resolved", "市人力社保局经办人"),
        ("close", "resolved", "closed", "市民"),
    ]
    status_page = client.get(f"/s/{case.access_key}/").content.decode()
    assert "已结案" in status_page
    assert "经办人" not in status_page, "staff names must not reach the citizen"


def test_dissatisfied_reopens_once_then_escalates(client, demo, drain, sms_outbox, user_named):
    case = submit_by_phone_form(client, demo)
    drain("routing")
    sign_for_and_resolve(client, user_named, case, "已联系企业。")
    drain("notify")

    assert _reply(client, "不满意", "SM0101").status_code == 200
    drain("intake")
    case = refreshed_case(case)
    assert (case.state, case.reopen_count, case.rating) == ("in_progress", 1, 4)

    client.force_login(user_named("labour"))
    press_transition(client, case, "resolve", "工资已全部结清。")
    client.logout()
    drain("notify")
    assert _reply(client, "５", "SM0102").status_code == 200
    drain("intake")

    case = refreshed_case(case)
    assert (case.state, case.reopen_count, case.escalated, case.rating) == (
        "resolved",
        1,
        True,
        5,
    )
    assert [e.action for e in case.timeline.all()][-2:] == ["resolve", "escalate"]


def test_forged_and_replayed_replies_change_nothing(client, demo, drain, sms_outbox, user_named):
    case = submit_by_phone_form(client, demo)
    drain("routing")
    sign_for_and_resolve(client, user_named, case, "已处理。")
    drain("notify")
    params = {"MessageSid": "SM0201", "From": "+8613812345678", "To": "+8610690012345", "Body": "5"}

    forged = post_signed(client, "/sms/inbound/", params, token="not-the-real-token")
    assert forged.status_code == 403
    unsigned = client.post("/sms/inbound/", params)
    assert unsigned.status_code == 403
    drain("intake")
    assert refreshed_case(case).state == "resolved"

    assert post_signed(client, "/sms/inbound/", {**params, "Body": "2"}).status_code == 200
    assert post_signed(client, "/sms/inbound/", {**params, "Body": "2"}).status_code == 200
    drain("intake", "notify")
    case = refreshed_case(case)
    assert (case.state, case.rating) == ("closed", 2)
    thanks = [m for m in sms_outbox if "感谢" in m["body"]]
    assert len(thanks) == 1
