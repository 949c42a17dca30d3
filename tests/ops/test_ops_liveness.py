"""Workers and the scheduler Kubernetes can see: heartbeats the liveness probe reads, and a
scheduler that is one at a time even when two replicas run (real processes)."""

import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from ops.housekeeping import prune_task_results_task
from tests.ops_processes import ROOT, env_for_test_database, wait_for
from tests.ops_tasks import slow_marker

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def probe(heartbeat, max_age: float) -> bool:
    """The pod's exec probe, as the kubelet runs it."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ops.heartbeat",
            "--max-age",
            str(max_age),
            "--file",
            str(heartbeat),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
        check=False,
    )
    return done.returncode == 0


def start(*args: str, heartbeat) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env_for_test_database(HEARTBEAT_FILE=str(heartbeat)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_a_worker_stuck_in_a_task_fails_liveness_and_recovers_after(tmp_path):
    heartbeat = tmp_path / "worker.heartbeat"
    assert not probe(heartbeat, 60), "alive before the worker ever beat"
    worker = start(
        "task_worker", "--queue-name", "default", "--interval", "0.1", "--no-reload",
        "--no-startup-delay", heartbeat=heartbeat,
    )  # fmt: skip
    try:
        wait_for(heartbeat.exists, 60, "the worker's first heartbeat")
        time.sleep(2.5)  # idle: the loop keeps beating while it polls
        assert probe(heartbeat, 2), "an idle, polling worker failed liveness"

        slow_marker.enqueue(str(tmp_path / "stuck"), 6.0)  # a task that hangs for a while
        wait_for((tmp_path / "stuck.started").exists, 60, "the worker to start the task")
        time.sleep(3)
        assert not probe(heartbeat, 2), "a worker stuck in a task still passed liveness"

        wait_for((tmp_path / "stuck.finished").exists, 60, "the task to end")
        time.sleep(1.5)
        assert probe(heartbeat, 2), "the loop beats again once the task is over"
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output


def test_a_standby_scheduler_never_runs_a_job_until_the_active_one_is_gone(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the scheduler lock is PostgreSQL's (the embedded SQLite runs one scheduler)")
    jobs = DBTaskResult.objects.filter(task_path=prune_task_results_task.module_path)
    active = start("scheduler", "--tick", "0.2", heartbeat=tmp_path / "active.heartbeat")
    standby = None
    try:
        wait_for(lambda: jobs.count() >= 1, 60, "the first scheduler to enqueue its hourly job")
        standby = start("scheduler", "--tick", "0.2", heartbeat=tmp_path / "standby.heartbeat")
        wait_for(
            lambda: (tmp_path / "standby.heartbeat").exists() or jobs.count() > 1,
            60,
            "the second scheduler to start",
        )
        time.sleep(2)  # ten ticks of both
        assert jobs.count() == 1, "two schedulers both enqueued the hourly job"
        assert probe(tmp_path / "standby.heartbeat", 5), "a standby scheduler is alive"

        stop(active)  # a rollout deletes the old pod
        wait_for(lambda: jobs.count() >= 2, 60, "the standby to take over")
        time.sleep(1)
        assert jobs.count() == 2
    finally:
        stop(active)
        output = stop(standby) if standby else ""
    assert "standing by" in output
    assert "holds the scheduler lock" in output
