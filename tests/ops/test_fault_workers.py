"""Poster events and dying workers (PostgreSQL, real worker processes, HTTP submissions)."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from services.eventbus.models import WorkerHeartbeat
from services.intake.models import Case, CaseEvent
from tests.builders import entry_token, wage_arrears_form
from tests.helpers import ROOT

pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _worker_env(**extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "SMS_BACKEND": "console", **extra}


def _start_worker(queue: str, interval: str = "0.05", **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            queue,
            "--interval",
            interval,
            "--no-reload",
            "--no-startup-delay",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env=_worker_env(**env),
        # A file, not a pipe: nobody reads the worker's log while it runs, and a full pipe
        # would block the worker mid-burst.
        stdout=subprocess.DEVNULL,
        stderr=tempfile.TemporaryFile(),
    )


def _wait_until(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return (
            Case.objects.count(),
            Case.objects.filter(state="assigned").count(),
            CaseEvent.objects.filter(action="route").count(),
        )


def _submit_burst(live_server, token: str, total: int, clients: int = 16) -> list[int]:
    url = f"{live_server.url}/c/{token}/"

    def one_client(n: int) -> list[int]:
        session = requests.Session()
        page = session.get(url, timeout=30)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        statuses = []
        for i in range(n):
            form = wage_arrears_form(description=f"海报活动 第{i}条", reporter_phone="")
            response = session.post(
                url, {**form, "csrfmiddlewaretoken": csrf}, allow_redirects=False, timeout=60
            )
            statuses.append(response.status_code)
        return statuses

    per_client = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [s for statuses in pool.map(one_client, per_client) for s in statuses]


def test_a_burst_of_1000_submissions_is_stored_and_routed_exactly_once(live_server, demo):
    token = entry_token(demo.pk, "欠薪")
    workers = [_start_worker("routing"), _start_worker("routing")]
    try:
        statuses = _submit_burst(live_server, token, 1000)
        assert statuses.count(302) == 1000, {s: statuses.count(s) for s in set(statuses)}
        assert _wait_until(lambda: _counts()[1] == 1000), _counts()
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    assert _counts() == (1000, 1000, 1000), "every case routed once, none twice"
    assert (
        not DBTaskResult.objects.filter(queue_name="routing").exclude(status="SUCCESSFUL").exists()
    )


def test_a_worker_killed_mid_burst_loses_nothing_and_repeats_nothing(live_server, demo):
    token = entry_token(demo.pk, "欠薪")
    statuses = _submit_burst(live_server, token, 200, clients=8)
    assert statuses.count(302) == 200

    victim = _start_worker("routing")

    # Killed while it holds a claimed batch: between two batches it holds none, and a kill
    # there would test nothing (routing a batch of ten takes a fraction of a second).
    def holds_a_batch() -> bool:
        return _counts()[1] >= 20 and DBTaskResult.objects.filter(status="RUNNING").exists()

    assert _wait_until(holds_a_batch, timeout=60), _counts()
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assigned_at_kill = _counts()[1]
    assert assigned_at_kill < 200, "the kill came mid-burst"
    assert DBTaskResult.objects.filter(status="RUNNING").exists(), "it held claimed tasks"

    # No scheduler, no manual step: the survivor's heartbeat thread finds the dead worker's
    # claimed tasks and puts them back.
    survivor = _start_worker("routing")
    try:
        assert _wait_until(lambda: _counts()[1] == 200, timeout=120), _counts()
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    assert _counts() == (200, 200, 200)


def test_a_task_whose_worker_was_killed_runs_again_within_30_seconds(tmp_path):
    """Issue 16.14: it used to wait TASK_STALE_AFTER_SECONDS (5 minutes) and a scheduler tick."""
    from tests.ops_tasks import slow_marker

    marker = tmp_path / "job"
    job = slow_marker.enqueue(str(marker), 3.0)
    victim = _start_worker("default")
    survivor = None
    try:
        assert _wait_until(Path(f"{marker}.started").exists, timeout=60), "the task never started"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at = time.monotonic()
        Path(f"{marker}.started").unlink()
        survivor = _start_worker("default")
        assert _wait_until(Path(f"{marker}.started").exists, timeout=30), "not retried in 30 s"
        retried_after = time.monotonic() - killed_at
        assert _wait_until(
            lambda: DBTaskResult.objects.get(pk=job.id).status == "SUCCESSFUL", timeout=30
        )
    finally:
        for worker in (victim, survivor):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
    assert retried_after < 30
    assert len(DBTaskResult.objects.get(pk=job.id).worker_ids) == 2, "the survivor ran it"


def test_a_committed_task_wakes_an_idle_worker_at_once(tmp_path):
    """LISTEN/NOTIFY: a worker that would next look in 30 s starts the task within a second."""
    from tests.ops_tasks import slow_marker

    worker = _start_worker("default", interval="30")
    try:
        # The worker has looked once and found nothing: it waits.
        assert _wait_until(
            lambda: WorkerHeartbeat.objects.filter(queues="default").exists(), timeout=60
        )
        time.sleep(1.0)
        marker = tmp_path / "woken"
        enqueued_at = time.monotonic()
        slow_marker.enqueue(str(marker), 0.0)
        assert _wait_until(Path(f"{marker}.started").exists, timeout=10)
        woke_after = time.monotonic() - enqueued_at
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert woke_after < 2.0, f"woke after {woke_after:.2f}s"


def test_two_routing_workers_never_assign_one_case_twice(demo):
    """Each case.submitted delivered twice (a redelivery after recovery, say), with two routing
    workers claiming side by side: every case is assigned once, with one decision and one
    running deadline."""
    from services import eventbus
    from services.intake import api as intake
    from services.intake.events import CaseSubmitted

    token = entry_token(demo.pk, "欠薪")
    case_ids = [
        intake.submit_via_entry_point(token, wage_arrears_form(description=f"重复投递 {i}")).id
        for i in range(60)
    ]
    with scopes_disabled():
        for case_id in case_ids:  # the second delivery of each case's event
            eventbus.publish(CaseSubmitted(case_id=case_id, tenant_id=demo.pk))
    workers = [_start_worker("routing,deadlines"), _start_worker("routing,deadlines")]
    try:
        assert _wait_until(lambda: _counts()[1] == 60, timeout=120), _counts()
        # Deadlines start on case.assigned, on the deadlines queue: wait for both queues.
        assert _wait_until(
            lambda: (
                not DBTaskResult.objects.filter(
                    queue_name__in=["routing", "deadlines"], status__in=["READY", "RUNNING"]
                ).exists()
            ),
            timeout=120,
        )
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    from services.routing.models import CaseDeadline, RoutingDecision

    with scopes_disabled():
        assert CaseEvent.objects.filter(case_id__in=case_ids, action="route").count() == 60
        assert RoutingDecision.objects.filter(case_id__in=case_ids).count() == 60
        assert CaseDeadline.objects.filter(case_id__in=case_ids, current=True).count() == 60
    ran_on = {w for t in DBTaskResult.objects.filter(queue_name="routing") for w in t.worker_ids}
    assert len(ran_on) == 2, "both workers took part"
