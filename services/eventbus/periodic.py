"""Periodic work (deadline checks, survey timeouts, recovery) as scheduled tasks.

A service declares `@every(minutes=5)` on a django task; the one scheduler process
(`manage.py scheduler`) enqueues each declared task when it is due, onto the task's own queue,
so the service's own worker runs it. Periodic tasks must be idempotent: a restarted scheduler
enqueues every job at once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    task: object
    interval: timedelta


_jobs: list[PeriodicJob] = []


def every(**interval: float):
    """Declares a task (already decorated with `@task`) to be enqueued every `interval`."""

    def register(task):
        _jobs.append(PeriodicJob(task=task, interval=timedelta(**interval)))
        return task

    return register


def jobs() -> list[PeriodicJob]:
    return list(_jobs)


def recover_abandoned_tasks(now=None) -> int:
    """Puts back tasks left RUNNING by a worker that died (SIGKILL, OOM, node loss).

    django-tasks-db has no heartbeat, so "abandoned" means running longer than any of our
    tasks legitimately runs (TASK_STALE_AFTER_SECONDS). Safe because every task is idempotent.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.TASK_STALE_AFTER_SECONDS)
    abandoned = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=stale_before)
    recovered = abandoned.update(status="READY", started_at=None)
    if recovered:
        logger.warning("Re-queued %d task(s) abandoned by dead workers", recovered)
    return recovered
