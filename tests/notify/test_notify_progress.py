"""What the citizen hears while the case is handled, and what operators' logs keep of it."""

import logging

import pytest
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.notify.models import Message, NotifySettings
from tests.builders import resolve, submit
from tests.helpers import CITIZEN, reply, sms_to

pytestmark = pytest.mark.django_db(transaction=True)


def assign_to_labour(case, user_named):
    [department_id] = directory.staff_info(user_named("labour")).department_ids
    intake.assign(case.id, department_id, "测试分拨")


def test_no_progress_sms_unless_the_tenant_wants_them(demo, drain, sms_outbox, user_named):
    case = submit(demo)
    assign_to_labour(case, user_named)
    drain("notify")
    assert len(sms_to(sms_outbox)) == 1, "the receipt only"


def test_progress_sms_name_the_department_once(demo, drain, sms_outbox, user_named):
    with scopes_disabled():
        NotifySettings.objects.create(tenant=demo, progress_sms=True)
    case = submit(demo)
    assign_to_labour(case, user_named)
    drain("notify")
    drain("notify")
    _receipt, assigned = sms_to(sms_outbox)
    assert "已交由市人力社保局办理" in assigned and case.tracking_number in assigned


def test_an_anonymous_case_gets_no_sms_and_no_survey(demo, drain, sms_outbox, user_named):
    case = submit(demo, phone="")
    resolve(case, user_named)
    drain("notify")
    assert sms_outbox == []
    with scopes_disabled():
        assert not Message.objects.exists()


def test_notify_logs_never_carry_a_whole_phone_number(
    client, demo, drain, sms_outbox, user_named, caplog
):
    caplog.set_level(logging.DEBUG, logger="services.notify")
    case = submit(demo)
    resolve(case, user_named)
    drain("notify")
    reply(client, "你好")
    reply(client, "退订")
    reply(client, "2")
    drain("intake", "notify")
    notify_logs = [r.getMessage() for r in caplog.records if r.name.startswith("services.notify")]
    assert any("138****5678" in line for line in notify_logs)
    assert not [line for line in notify_logs if CITIZEN in line or "13812345678" in line]
