"""The SMS outbox against the real Twilio client and a fake Twilio HTTP API: retries with
backoff, permanent failures, and never a second SMS for one key — not after a lost response,
not after a worker died mid-send."""

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from services.directory import api as directory
from services.eventbus import retry_delay
from services.notify import outbox
from services.notify.kinds import Kind
from services.notify.models import Message, NotifySettings
from tests.fake_twilio import ACCOUNT_SID, FakeTwilio

pytestmark = pytest.mark.django_db(transaction=True)

CITIZEN = "+8613812345678"
SENDER = "+8610690012345"
BODY = "【温岭市】您反映的问题已受理，受理编号 261124-03817。"


@pytest.fixture
def admin_user(django_user_model):
    """A platform superuser: pytest-django's own would be the demo's tenant admin ("admin")."""
    return django_user_model.objects.create_superuser("platform-admin")


@pytest.fixture
def tenant(transactional_db):
    return directory.create_tenant("温岭市", "wenling", sms_number=SENDER, hotline="0576-12345")


@pytest.fixture
def clock(time_machine):
    """Frozen time that tests move on by hand, so backoff delays can be checked exactly."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def queue(tenant, key: str = "receipt:1", kind: str = Kind.RECEIPT, **kw) -> Message:
    return outbox.queue_message(
        tenant_id=tenant.pk, to=CITIZEN, body=BODY, kind=kind, key=key, case_id=1, **kw
    )


def reload(message: Message) -> Message:
    with scopes_disabled():
        return Message.objects.get(pk=message.pk)


def pending_retry() -> DBTaskResult:
    return DBTaskResult.objects.get(status="READY", task_path__endswith="deliver_message")


def run_scheduler_once() -> None:
    call_command("scheduler", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_timeouts_and_500s_are_retried_with_backoff_and_the_sms_delivered_once(
    tenant, fake_twilio, clock, drain, client
):
    fake_twilio.faults = ["read_timeout", 500]
    message = queue(tenant)
    assert fake_twilio.create_requests == 0, "queueing sends nothing: only the worker does"

    drain("notify")
    message = reload(message)
    assert (message.state, message.attempts, message.error_code) == ("queued", 1, "ReadTimeout")
    assert message.needs_lookup, "a read timeout may have left a message at Twilio"
    wait = (pending_retry().run_after - timezone.now()).total_seconds()
    assert 1.0 <= wait <= 2.0, "first retry after retry_delay(1): 1–2 s with jitter"

    drain("notify")
    assert reload(message).attempts == 1, "the retry waits for its backoff"

    clock.shift(timedelta(minutes=1))
    drain("notify")
    message = reload(message)
    assert (message.state, message.attempts, message.error_code) == ("queued", 2, "20500")
    assert "Internal Server Error" in message.last_error
    wait = (pending_retry().run_after - timezone.now()).total_seconds()
    assert 2.0 <= wait <= 4.0, "second retry after retry_delay(2): 2–4 s"

    clock.shift(timedelta(minutes=1))
    drain("notify")
    message = reload(message)
    assert message.state == "sent"
    assert fake_twilio.create_requests == 3
    assert fake_twilio.list_requests == 2, "each retry after an unclear outcome looked first"
    [held] = fake_twilio.accepted_to(CITIZEN)
    assert (held["body"], held["from"]) == (BODY, SENDER)
    assert message.provider_id == held["sid"]
    assert held["status_callback"] == f"http://testserver/sms/status/?ref={message.pk}"

    assert fake_twilio.report(client, held, "delivered").status_code == 204
    assert reload(message).state == "delivered"
    assert len(fake_twilio.messages) == 1


def test_twilio_took_it_but_the_answer_was_lost_so_it_is_not_sent_again(
    tenant, fake_twilio, clock, drain
):
    fake_twilio.faults = ["accept_then_read_timeout"]
    message = queue(tenant)
    drain("notify")
    assert reload(message).state == "queued"
    assert len(fake_twilio.messages) == 1, "Twilio has it, though we never heard back"

    clock.shift(timedelta(minutes=1))
    drain("notify")
    message = reload(message)
    assert message.state == "sent"
    assert message.provider_id == fake_twilio.messages[0]["sid"]
    assert fake_twilio.create_requests == 1, "found at Twilio, so not created a second time"


def test_a_rate_limit_is_retried_without_asking_twilio_first(tenant, fake_twilio, clock, drain):
    fake_twilio.faults = [429, 503]
    message = queue(tenant)
    for _attempt in range(3):
        drain("notify")
        clock.shift(timedelta(minutes=1))
    message = reload(message)
    assert (message.state, message.attempts) == ("sent", 3)
    assert fake_twilio.list_requests == 0, "429 and 503 mean Twilio took nothing"
    assert len(fake_twilio.messages) == 1


def test_an_invalid_number_fails_at_once_and_shows_in_the_admin(
    tenant, fake_twilio, drain, admin_client, caplog
):
    fake_twilio.faults = ["invalid_number"]
    caplog.set_level(logging.INFO)
    message = queue(tenant)
    drain("notify")
    message = reload(message)
    assert (message.state, message.attempts, message.error_code) == ("failed", 1, "21211")
    assert message.last_error.startswith("收件号码无效")
    assert not DBTaskResult.objects.filter(status="READY").exists(), "no retry"

    page = admin_client.get("/admin/notify/message/?problem=attention").content.decode()
    assert "收件号码无效" in page and "21211" in page
    assert admin_client.get("/admin/notify/message/?error_code=21211").status_code == 200
    assert CITIZEN not in page, "the list masks numbers"
    assert "138****5678" in page

    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert f"SMS {message.pk} (receipt, case 1, tenant {tenant.pk}, to 138****5678)" in logs
    assert "21211" in logs
    assert CITIZEN not in logs, "operator logs never carry a whole phone number"


def test_transient_failures_give_up_after_the_limit(tenant, fake_twilio, clock, drain):
    fake_twilio.faults = [503] * outbox.MAX_SEND_ATTEMPTS
    message = queue(tenant)
    for _attempt in range(outbox.MAX_SEND_ATTEMPTS + 2):
        drain("notify")
        clock.shift(timedelta(minutes=10))
    message = reload(message)
    assert (message.state, message.attempts) == ("failed", outbox.MAX_SEND_ATTEMPTS)
    assert f"gave up after {outbox.MAX_SEND_ATTEMPTS} attempts" in message.last_error
    assert fake_twilio.messages == []


def test_one_key_is_one_message_however_often_it_is_queued(tenant, fake_twilio, drain):
    first = queue(tenant)
    again = queue(tenant)
    assert first.pk == again.pk
    deliver_tasks = DBTaskResult.objects.filter(task_path__endswith="deliver_message")
    assert deliver_tasks.count() == 1
    outbox.deliver_message.enqueue(first.pk)  # a redelivered task changes nothing
    drain("notify")
    assert len(fake_twilio.messages) == 1


def test_a_worker_killed_after_twilio_took_the_message_never_sends_it_twice(
    tenant, fake_twilio, clock, drain
):
    fake_twilio.faults = ["accept_then_die"]
    message = queue(tenant)
    drain("notify")
    assert reload(message).state == "sending"
    assert reload(message).provider_id == "", "the worker died before it could write it down"

    clock.shift(timedelta(seconds=30))
    run_scheduler_once()
    drain("notify")
    assert reload(message).state == "sending", "too recent to be called abandoned"

    clock.shift(timedelta(minutes=10))
    run_scheduler_once()
    drain("notify")
    message = reload(message)
    assert message.state == "sent"
    assert message.provider_id == fake_twilio.messages[0]["sid"]
    assert fake_twilio.create_requests == 1
    assert len(fake_twilio.accepted_to(CITIZEN)) == 1


def test_a_worker_killed_before_twilio_took_the_message_sends_it_once_later(
    tenant, fake_twilio, clock, drain
):
    fake_twilio.faults = ["die_before_accept"]
    message = queue(tenant)
    drain("notify")
    assert reload(message).state == "sending"
    assert fake_twilio.messages == []

    clock.shift(timedelta(minutes=10))
    run_scheduler_once()
    drain("notify")
    message = reload(message)
    assert message.state == "sent"
    assert message.attempts == 2
    assert len(fake_twilio.accepted_to(CITIZEN)) == 1


def test_a_delivery_report_reconciles_a_message_whose_worker_died(
    tenant, fake_twilio, clock, drain, client
):
    fake_twilio.faults = ["accept_then_die"]
    message = queue(tenant)
    drain("notify")
    [held] = fake_twilio.messages
    assert fake_twilio.report(client, held, "sent").status_code == 204
    message = reload(message)
    assert (message.state, message.provider_id) == ("sent", held["sid"])

    clock.shift(timedelta(minutes=10))
    run_scheduler_once()
    drain("notify")
    assert reload(message).state == "sent"
    assert fake_twilio.create_requests == 1 and fake_twilio.list_requests == 0


def test_without_a_way_to_ask_the_provider_an_operator_decides(
    tenant, settings, clock, drain, admin_client
):
    settings.SMS_BACKEND = "console"
    message = queue(tenant)
    outbox._claim(message.pk)  # a worker took it and died
    clock.shift(timedelta(minutes=10))
    assert outbox.reconcile_stuck.call() == 1
    message = reload(message)
    assert message.state == "review"
    assert "人工确认" in message.last_error

    page = admin_client.get("/admin/notify/message/?state=review").content.decode()
    assert "待人工核实" in page
    response = admin_client.post(
        "/admin/notify/message/",
        {"action": "requeue", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    drain("notify")
    message = reload(message)
    assert (message.state, message.attempts) == ("sent", 1), "attempts start again by hand"


def test_an_operator_can_confirm_a_message_in_review_went_out(tenant, settings, admin_client):
    settings.SMS_BACKEND = "console"
    message = queue(tenant)
    with scopes_disabled():
        Message.objects.filter(pk=message.pk).update(state=Message.State.REVIEW)
    admin_client.post(
        "/admin/notify/message/", {"action": "confirm_sent", "_selected_action": [message.pk]}
    )
    assert reload(message).state == "sent"


def test_delivery_reports_must_be_signed_and_only_move_forward(tenant, fake_twilio, drain, client):
    message = queue(tenant)
    drain("notify")
    [held] = fake_twilio.messages

    forged = FakeTwilio(auth_token="not-the-real-token")
    assert forged.report(client, held, "failed").status_code == 403
    unsigned = client.post(
        f"/sms/status/?ref={message.pk}", {"MessageSid": held["sid"], "MessageStatus": "failed"}
    )
    assert unsigned.status_code == 403
    assert reload(message).state == "sent"

    assert fake_twilio.report(client, held, "delivered").status_code == 204
    assert fake_twilio.report(client, held, "delivered").status_code == 204  # replayed
    assert fake_twilio.report(client, held, "sent").status_code == 204  # late, out of order
    assert reload(message).state == "delivered"


def test_an_undelivered_report_says_why_in_words(tenant, fake_twilio, drain, client):
    message = queue(tenant)
    drain("notify")
    [held] = fake_twilio.messages
    fake_twilio.report(client, held, "undelivered", error_code="30003")
    message = reload(message)
    assert (message.state, message.error_code) == ("undelivered", "30003")
    assert message.last_error.startswith("对方手机不可达")


def test_a_tenant_with_its_own_twilio_account_sends_and_verifies_with_it(
    tenant, fake_twilio, drain, client, monkeypatch
):
    own_sid, own_token = "AC" + "1" * 32, "wenling-own-token"
    monkeypatch.setenv("TWILIO_ACCOUNT_SID_WENLING", own_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_WENLING", own_token)
    with scopes_disabled():
        NotifySettings.objects.create(tenant=tenant, twilio_credentials_ref="WENLING")
    fake_twilio.account_sid, fake_twilio.auth_token = own_sid, own_token

    message = queue(tenant)
    drain("notify")
    assert reload(message).state == "sent", "authenticated as the tenant's own account"
    [held] = fake_twilio.messages

    global_token = FakeTwilio()  # signed with the deployment-wide token
    assert global_token.report(client, held, "delivered").status_code == 403
    assert fake_twilio.report(client, held, "delivered").status_code == 204
    assert reload(message).state == "delivered"


def test_missing_tenant_credentials_are_a_clear_error_and_nothing_is_sent(
    tenant, fake_twilio, drain
):
    with scopes_disabled():
        NotifySettings.objects.create(tenant=tenant, twilio_credentials_ref="NOWHERE")
    message = queue(tenant)
    drain("notify")
    message = reload(message)
    assert (message.state, message.error_code) == ("queued", "config")
    assert "TWILIO_AUTH_TOKEN_NOWHERE" in message.last_error
    assert fake_twilio.create_requests == 0


def test_retry_delay_is_the_event_bus_backoff():
    # The outbox reuses the bus's backoff; its bounds are what the tests above rely on.
    assert all(1 <= retry_delay(1).total_seconds() <= 2 for _ in range(50))
    assert all(150 <= retry_delay(20).total_seconds() <= 300 for _ in range(50))


# --- A real SIGKILL ---------------------------------------------------------------------------

CHILD = r"""
import os, re, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
import responses
from django.core.management import call_command

marker = sys.argv[1]

def twilio_takes_it_then_hangs(request):
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    with open(marker + ".tmp", "w") as f:
        f.write(body)
    os.rename(marker + ".tmp", marker)
    time.sleep(600)  # the parent kills us here, before we hear back

with responses.RequestsMock() as rsps:
    rsps.add_callback("POST", re.compile(r"https://api\.twilio\.com/.*/Messages\.json"),
                      callback=twilio_takes_it_then_hangs)
    call_command("db_worker", "--queue-name", "notify", "--batch", "--no-reload",
                 "--no-startup-delay", "--interval", "0")
"""


def _database_env() -> dict[str, str]:
    """Points a child process at this test run's database."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return {"DATABASE_URL": "", "SQLITE_PATH": str(name)}
    url = urlparse(os.environ["DATABASE_URL"])
    return {"DATABASE_URL": url._replace(path=f"/{name}").geturl()}


@pytest.mark.processes
def test_a_worker_process_killed_mid_send_does_not_cause_a_duplicate(
    tenant, fake_twilio, drain, tmp_path, time_machine
):
    message = queue(tenant)
    marker = tmp_path / "twilio-took-it"
    env = {
        **os.environ,
        **_database_env(),
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "PUBLIC_BASE_URL": django_settings.PUBLIC_BASE_URL,
        "SMS_QUIET_HOURS": "",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker)],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if worker.poll() is not None:
                pytest.fail(f"worker exited early: {worker.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the worker never reached Twilio")
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=10)
        worker.stderr.close()
    # What the killed worker handed to Twilio is now Twilio's.
    fake_twilio.accept({k: v[0] for k, v in parse_qs(marker.read_text()).items()})

    assert reload(message).state == "sending"
    assert DBTaskResult.objects.get(task_path__endswith="deliver_message").status == "RUNNING"
    drain("notify")
    assert fake_twilio.create_requests == 0, "a running task is not picked up twice"

    time_machine.move_to(timezone.now() + timedelta(minutes=10), tick=False)
    run_scheduler_once()  # re-queues the dead worker's task and runs the reconciliation
    drain("notify")
    message = reload(message)
    assert message.state == "sent"
    assert message.provider_id == fake_twilio.messages[0]["sid"]
    assert fake_twilio.create_requests == 0, "nothing was sent again"
    assert len(fake_twilio.accepted_to(CITIZEN)) == 1


def test_tenant_staff_see_only_their_own_tenants_sms_in_the_admin(demo, drain, client, user_named):
    other = directory.create_tenant("台州市", "taizhou", sms_number="+8610690099999")
    mine = outbox.queue_message(
        tenant_id=demo.pk, to=CITIZEN, body="温岭的短信", kind=Kind.RECEIPT, key="receipt:a"
    )
    theirs = outbox.queue_message(
        tenant_id=other.pk, to=CITIZEN, body="台州的短信", kind=Kind.RECEIPT, key="receipt:b"
    )
    client.force_login(user_named("dispatcher"))
    listing = client.get("/admin/notify/message/")
    assert listing.status_code == 200
    assert f"/admin/notify/message/{mine.pk}/change/" in listing.content.decode()
    assert f"/admin/notify/message/{theirs.pk}/change/" not in listing.content.decode()
    assert client.get(f"/admin/notify/message/{theirs.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/notify/message/{mine.pk}/change/").status_code == 200


def test_a_queued_message_whose_task_was_lost_is_sent_later(tenant, fake_twilio, clock, drain):
    message = queue(tenant)
    DBTaskResult.objects.filter(task_path__endswith="deliver_message").delete()
    drain("notify")
    assert reload(message).state == "queued"

    clock.shift(timedelta(minutes=5))
    run_scheduler_once()
    drain("notify")
    assert reload(message).state == "queued", "not yet: its task may just be waiting its turn"

    clock.shift(timedelta(minutes=15))
    run_scheduler_once()
    run_scheduler_once()
    drain("notify")
    assert reload(message).state == "sent"
    assert len(fake_twilio.messages) == 1
