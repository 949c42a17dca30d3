"""督办提醒: overdue and escalated cases alert the department's heads and the dispatchers in the
app, and by SMS when the tenant enables it and the person has a phone."""

import pytest
from django.db import transaction
from django_scopes import scopes_disabled

from services import eventbus
from services.directory import api as directory
from services.intake import api as intake
from services.intake.events import CaseEscalated
from services.notify import api as notify
from services.notify.models import Message, NotifySettings, StaffNotification
from services.routing.events import CaseOverdue
from tests.builders import submit
from tests.helpers import case_now

pytestmark = pytest.mark.django_db(transaction=True)

HEAD_PHONE = "+8613700001111"


@pytest.fixture
def labour_head(demo, user_named):
    """The labour bureau's head (负责人), with a phone for alert SMS."""
    from services.directory.models import Staff

    [department_id] = directory.staff_info(user_named("labour")).department_ids
    staff = directory.create_staff(
        demo,
        "labour_head",
        "pw-for-tests-only",
        directory.Role.DEPARTMENT,
        departments=[department_id],
        is_department_head=True,
        full_name="人社局负责人",
    )
    with scopes_disabled():
        Staff.objects.filter(pk=staff.pk).update(phone=HEAD_PHONE)
    return user_named("labour_head")


def assigned_case(demo, user_named):
    case = submit(demo)
    [department_id] = directory.staff_info(user_named("labour")).department_ids
    return intake.assign(case.id, department_id, "测试分拨")


def publish(event: eventbus.Event) -> None:
    with transaction.atomic():
        eventbus.publish(event)


def test_an_overdue_case_alerts_the_head_and_the_dispatchers_once(
    demo, drain, user_named, labour_head, sms_outbox
):
    case = assigned_case(demo, user_named)
    overdue = CaseOverdue(tenant_id=demo.pk, case_id=case.id, department_id=case.department_id)
    publish(overdue)
    publish(overdue)  # redelivered
    drain("notify")

    dispatcher = user_named("dispatcher")
    for user in (labour_head, dispatcher):
        [alert] = notify.unread_notifications(user.pk)
        assert (alert.kind, alert.case_id, alert.tracking_number) == (
            "overdue",
            case.id,
            case.tracking_number,
        )
        assert "已超过办理时限" in alert.text and "市人力社保局" in alert.text
    assert notify.unread_notifications(user_named("labour").pk) == [], "not the head"
    assert sms_to_head(sms_outbox) == [], "SMS alerts are off unless the tenant turns them on"


def sms_to_head(outbox: list[dict]) -> list[str]:
    return [m["body"] for m in outbox if m["to"] == HEAD_PHONE]


def test_alert_sms_go_to_staff_with_a_phone_when_the_tenant_enables_them(
    demo, drain, user_named, labour_head, sms_outbox
):
    with scopes_disabled():
        NotifySettings.objects.create(tenant=demo, staff_sms_alerts=True)
    case = assigned_case(demo, user_named)
    publish(CaseEscalated(tenant_id=demo.pk, case_id=case.id, cause="dissatisfied"))
    publish(CaseEscalated(tenant_id=demo.pk, case_id=case.id, cause="dissatisfied"))
    drain("notify")
    [sms] = sms_to_head(sms_outbox)
    assert "已提交督办" in sms and case.tracking_number in sms
    with scopes_disabled():
        # The demo's dispatcher has no phone: alerted in the app only.
        assert Message.objects.filter(purpose="staff_escalated").count() == 1


def test_alerts_are_read_by_their_owner_only(demo, drain, user_named, labour_head):
    case = assigned_case(demo, user_named)
    publish(CaseOverdue(tenant_id=demo.pk, case_id=case.id, department_id=case.department_id))
    drain("notify")
    dispatcher = user_named("dispatcher")
    [theirs] = notify.unread_notifications(dispatcher.pk)
    [mine] = notify.unread_notifications(labour_head.pk)

    assert notify.mark_read(labour_head.pk, [theirs.id]) == 0, "not someone else's"
    assert [a.id for a in notify.unread_notifications(dispatcher.pk)] == [theirs.id]
    assert notify.mark_read(labour_head.pk, [mine.id]) == 1
    assert notify.unread_notifications(labour_head.pk) == []
    assert notify.mark_read(dispatcher.pk) == 1
    with scopes_disabled():
        assert StaffNotification.objects.filter(read_at__isnull=True).count() == 0


def test_another_tenants_staff_hear_nothing(demo, drain, user_named):
    other = directory.create_tenant("台州市", "taizhou")
    outsider = directory.create_staff(other, "tz_dispatch", "pw-x", directory.Role.DISPATCHER)
    case = assigned_case(demo, user_named)
    publish(CaseEscalated(tenant_id=demo.pk, case_id=case.id, cause="dissatisfied"))
    drain("notify")
    assert notify.unread_notifications(outsider.user_id) == []
    assert len(notify.unread_notifications(user_named("dispatcher").pk)) == 1


def test_one_overdue_case_alerts_each_person_once_by_the_real_deadline_check(
    demo, drain, user_named, labour_head, sms_outbox
):
    """The chain as production runs it: the scheduler's check_deadlines escalates the case
    (case.escalated) and announces the deadline (case.overdue); one cause, one alert."""
    import datetime as dt

    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    with scopes_disabled():
        NotifySettings.objects.create(tenant=demo, staff_sms_alerts=True)
    case = submit(demo)
    drain("routing", "deadlines")
    assert intake.get_case(case.id).state == "assigned"
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=True):
        call_command("scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
        drain("routing", "deadlines")
        drain("notify")
    assert case_now(case).escalated, "the deadline check escalated it"

    for user in (labour_head, user_named("dispatcher")):
        alerts = notify.unread_notifications(user.pk)
        assert [(a.kind, a.case_id) for a in alerts] == [("overdue", case.id)], user
    [sms] = sms_to_head(sms_outbox)
    assert "已超过办理时限" in sms


def test_a_second_dissatisfaction_still_alerts_as_an_escalation(
    demo, drain, user_named, labour_head
):
    """Escalations with a cause of their own (the citizen, not a deadline) do alert."""
    from tests.builders import resolve
    from tests.helpers import reply

    case = submit(demo)
    drain("routing", "deadlines")
    for answer in ("4 没解决", "5 还是没解决"):
        resolve(case, user_named)
        drain("notify")
        from django.test import Client

        reply(Client(), answer)
        drain("intake", "notify")
    assert case_now(case).escalated
    alerts = notify.unread_notifications(user_named("dispatcher").pk)
    assert [(a.kind, a.case_id) for a in alerts] == [("escalated", case.id)]
