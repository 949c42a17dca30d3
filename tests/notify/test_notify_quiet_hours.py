"""Quiet hours (免打扰时段): non-urgent SMS wait for the morning in the tenant's local time;
answers to what the citizen just did go at once."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from services.notify import outbox
from services.notify.kinds import Kind
from services.notify.models import Message, NotifySettings
from services.notify.preferences import settings_for
from services.notify.quiet_hours import is_quiet, parse_window, release_time
from tests.builders import resolve, submit
from tests.helpers import CITIZEN, sms_to, survey_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int = 0, *, second: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [(time(21, 59), False), (time(22, 0), True), (time(3, 0), True), (time(8, 0), False)],
)
def test_a_window_across_midnight(moment, quiet):
    assert is_quiet(moment, time(22), time(8)) is quiet


def test_a_window_within_the_day_and_an_empty_one():
    assert is_quiet(time(13, 0), time(12), time(14))
    assert not is_quiet(time(15, 0), time(12), time(14))
    assert not is_quiet(time(3, 0), time(8), time(8))


def test_release_is_the_next_end_of_the_window_in_local_time():
    assert release_time(local(23, 30), time(22), time(8), "Asia/Shanghai") == local(8, day=25)
    assert release_time(local(2, 0), time(22), time(8), "Asia/Shanghai") == local(8)
    assert release_time(local(10, 0), time(22), time(8), "Asia/Shanghai") is None
    # 23:30 in Shanghai is 16:30 in Berlin: not quiet there.
    assert release_time(local(23, 30), time(22), time(8), "Europe/Berlin") is None
    assert release_time(local(23, 30), None, None, "Asia/Shanghai") is None


def test_the_deployment_default_is_parsed_strictly():
    assert parse_window("22:00-08:00") == (time(22), time(8))
    assert parse_window("") is None
    with pytest.raises(Exception, match="22:00-08:00"):
        parse_window("10pm to 8am")


@pytest.mark.django_db
def test_a_new_tenant_starts_with_the_deployment_default(settings, demo):
    settings.SMS_QUIET_HOURS = "22:00-08:00"
    prefs = settings_for(demo.pk)
    assert (prefs.quiet_start, prefs.quiet_end) == (time(22), time(8))
    assert prefs.time_zone == "Asia/Shanghai"


@pytest.fixture
def night(demo, time_machine):
    """23:30 in the demo county, whose quiet hours are 22:00–08:00."""
    with scopes_disabled():
        NotifySettings.objects.create(tenant=demo, quiet_start=time(22), quiet_end=time(8))
    time_machine.move_to(local(23, 30), tick=False)
    return time_machine


@pytest.mark.django_db(transaction=True)
def test_at_night_the_receipt_goes_at_once_and_the_survey_waits_for_the_morning(
    demo, night, drain, sms_outbox, user_named
):
    case = submit(demo)
    drain("notify")
    assert case.tracking_number in sms_to(sms_outbox)[-1], "the citizen just submitted: awake"

    resolve(case, user_named)
    drain("notify")
    with scopes_disabled():
        survey_sms = Message.objects.get(purpose=Kind.SURVEY)
    assert survey_sms.state == "queued"
    assert survey_sms.next_attempt_at == local(8, day=25)
    task = DBTaskResult.objects.get(status="READY", args_kwargs__args=[survey_sms.pk])
    assert task.run_after == local(8, day=25)
    assert len(sms_to(sms_outbox)) == 1
    # The citizen's three days start when they can read the SMS.
    assert survey_of(case).expires_at == local(8, day=28)

    night.move_to(local(8, 0, day=25), tick=False)
    drain("notify")
    assert "1非常满意" in sms_to(sms_outbox)[-1]


@pytest.mark.django_db(transaction=True)
def test_a_retry_that_runs_into_the_night_waits_for_the_morning(
    demo, fake_twilio, drain, time_machine
):
    with scopes_disabled():
        NotifySettings.objects.create(tenant=demo, quiet_start=time(22), quiet_end=time(8))
    time_machine.move_to(local(21, 59, second=59), tick=False)
    fake_twilio.faults = [503]
    message = outbox.queue_message(
        tenant_id=demo.pk, to=CITIZEN, body="进展", kind=Kind.ASSIGNED, key="assigned:1:1"
    )
    drain("notify")
    time_machine.move_to(local(22, 0, second=30), tick=False)
    drain("notify")
    with scopes_disabled():
        message = Message.objects.get(pk=message.pk)
    assert (message.state, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == local(8, day=25)
    assert fake_twilio.create_requests == 1

    time_machine.move_to(local(8, 1, day=25), tick=False)
    drain("notify")
    assert fake_twilio.create_requests == 2
    assert len(fake_twilio.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_staff_alert_for_an_urgent_case_is_not_held_back(demo, night, drain):
    message = outbox.queue_message(
        tenant_id=demo.pk,
        to="+8613700000000",
        body="督办",
        kind=Kind.STAFF_OVERDUE,
        key="staff:x",
        urgent=True,
    )
    assert message.next_attempt_at == timezone.now()
    drain("notify")
    with scopes_disabled():
        assert Message.objects.get(pk=message.pk).state == "sent"
