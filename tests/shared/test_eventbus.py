"""Event delivery: durable with the change, retried on failure, recovered after a crash."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from services import eventbus
from services.eventbus import heartbeats
from services.intake.events import CaseSubmitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_event_published_in_a_rolled_back_transaction_is_never_delivered(demo):
    before = DBTaskResult.objects.count()
    # One task per subscriber (routing, notify, intake's duplicate check, …).
    subscribers = len(eventbus.subscribers(CaseSubmitted))
    assert subscribers >= 2
    with pytest.raises(RuntimeError), transaction.atomic():
        eventbus.publish(CaseSubmitted(case_id=999, tenant_id=demo.pk))
        assert DBTaskResult.objects.count() == before + subscribers
        raise RuntimeError("the change failed")
    assert DBTaskResult.objects.count() == before


def test_an_events_task_rows_are_written_in_one_statement(demo):
    """The web submission stays lean however many services subscribe to case.submitted."""
    subscribers = len(eventbus.subscribers(CaseSubmitted))
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        eventbus.publish(CaseSubmitted(case_id=999, tenant_id=demo.pk))
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1, inserts
    rows = list(DBTaskResult.objects.all())
    assert len(rows) == subscribers
    assert {r.queue_name for r in rows} >= {"routing", "notify"}
    assert all(r.status == "READY" and r.run_after == get_date_max() for r in rows), "ready now"
    assert all(r.args_kwargs["args"][0] == "case.submitted" for r in rows)


def test_an_event_without_tenant_cannot_even_be_made():
    with pytest.raises(TypeError, match="tenant_id"):
        CaseSubmitted(case_id=1)


def test_abandoned_running_task_is_requeued_and_runs(demo, client, drain):
    """A worker killed mid-task leaves its row RUNNING; the scheduler puts it back."""
    from tests.builders import entry_token, wage_arrears_form
    from tests.helpers import all_cases

    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    routing_task = DBTaskResult.objects.get(queue_name="routing")
    routing_task.claim("worker-that-died")
    DBTaskResult.objects.filter(pk=routing_task.pk).update(
        started_at=timezone.now() - timedelta(hours=1)
    )
    drain("routing")
    assert all_cases()[0].state == "submitted", "a RUNNING task is not picked up again"

    call_command("scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    drain("routing")
    assert all_cases()[0].state == "assigned"


def test_recovery_leaves_recently_started_tasks_alone(demo, client):
    from tests.builders import entry_token, wage_arrears_form

    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    DBTaskResult.objects.get(queue_name="routing").claim("busy-worker")
    assert heartbeats.recover_abandoned_tasks() == 0


def test_a_live_workers_long_task_is_left_alone_a_silent_ones_is_requeued(demo, client, settings):
    """Recovery asks whether the worker is alive (its heartbeat), not how long the task ran."""
    from tests.builders import entry_token, wage_arrears_form

    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    long_ago = timezone.now() - timedelta(hours=1)
    alive, dead = DBTaskResult.objects.filter(queue_name="routing")
    alive.claim("alive-worker")
    dead.claim("silent-worker")
    DBTaskResult.objects.filter(queue_name="routing").update(started_at=long_ago)
    heartbeats.beat("alive-worker", "routing")
    heartbeats.beat("silent-worker", "routing")
    later = timezone.now() + timedelta(seconds=settings.TASK_WORKER_TIMEOUT_SECONDS + 1)
    heartbeats.beat("alive-worker", "routing")
    with time_machine.travel(later, tick=False):
        heartbeats.beat("alive-worker", "routing")
        assert heartbeats.recover_abandoned_tasks() == 1
    assert DBTaskResult.objects.get(pk=alive.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=dead.pk).status == "READY"


FLAKY_CALLS: list[int] = []


class Flaky(eventbus.Event, name="test.flaky"):
    n: int


@eventbus.subscribe(Flaky, queue="default", max_attempts=2)
def flaky_handler(event: Flaky) -> None:
    FLAKY_CALLS.append(event.n)
    raise ConnectionError("downstream unavailable")


def test_a_failing_handler_is_retried_later_then_gives_up(demo, drain):
    FLAKY_CALLS.clear()
    eventbus.publish(Flaky(tenant_id=demo.pk, n=1))
    drain("default")
    assert FLAKY_CALLS == [1]
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    assert retry.run_after > timezone.now(), "the retry waits for its backoff"

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    drain("default")
    assert FLAKY_CALLS == [1, 1]
    assert DBTaskResult.objects.get(pk=retry.pk).status == "FAILED"
    assert not DBTaskResult.objects.filter(status="READY").exists(), "no retry past the limit"
