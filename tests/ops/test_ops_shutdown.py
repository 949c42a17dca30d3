"""Graceful shutdown of a real worker process: SIGTERM lets the running task finish."""

import signal
import subprocess
import sys

import pytest
from django_tasks_db.models import DBTaskResult

from tests.ops_processes import ROOT, env_for_test_database, wait_for
from tests.ops_tasks import slow_marker

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_sigterm_lets_the_running_task_finish_and_starts_no_other(tmp_path):
    running = slow_marker.enqueue(str(tmp_path / "first"), 2.0)
    waiting = slow_marker.enqueue(str(tmp_path / "second"), 0.0)
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "task_worker",
            "--queue-name",
            "default",
            "--interval",
            "0.1",
            "--no-reload",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=env_for_test_database(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for((tmp_path / "first.started").exists, 60, "the worker to start the task")
        worker.send_signal(signal.SIGTERM)  # what the kubelet sends when the pod is deleted
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert worker.returncode == 0, output
    assert "shutting down gracefully" in output
    assert (tmp_path / "first.finished").exists(), "the running task was cut short"
    assert DBTaskResult.objects.get(pk=running.id).status == "SUCCESSFUL"
    assert not (tmp_path / "second.started").exists(), "a new task was started after SIGTERM"
    assert DBTaskResult.objects.get(pk=waiting.id).status == "READY", "left for the next worker"
