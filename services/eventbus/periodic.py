"""Periodic work (deadline checks, survey timeouts) as scheduled tasks.

A service declares `@every(minutes=5)` on a django task; the one scheduler process
(`manage.py scheduler`) enqueues each declared task when it is due, onto the task's own queue,
so the service's own worker runs it. Periodic tasks must be idempotent: a restarted scheduler
enqueues every job at once.
"""

from dataclasses import dataclass
from datetime import timedelta

from django_tasks.base import Task


@dataclass
class PeriodicJob:
    task: Task
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
