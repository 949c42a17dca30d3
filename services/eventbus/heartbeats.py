"""Which task workers are alive, and handing back the tasks of those that died.

A worker beats every TASK_HEARTBEAT_SECONDS from a thread of its own (services/eventbus/worker.py),
so a long task does not silence it. A worker killed outright (SIGKILL, OOM, node loss) stops
beating; TASK_WORKER_TIMEOUT_SECONDS later any live worker, or the scheduler, puts its RUNNING
tasks back in the queue.
"""

import logging
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def beat(worker_id: str, queues: str) -> None:
    """The worker is alive now (its first beat registers it)."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "queues": queues[:200],
                "pid": os.getpid(),
                "started_at": now,
                "seen_at": now,
            },
        )


def sign_off(worker_id: str) -> None:
    """A worker stopping cleanly: nothing of its own is left to recover."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def recover_abandoned_tasks(now: datetime | None = None) -> int:
    """Puts back tasks left RUNNING by a worker that died (SIGKILL, OOM, node loss).

    A task is abandoned when the worker that claimed it last has not beaten for
    TASK_WORKER_TIMEOUT_SECONDS (a worker that signed off or was never seen counts as dead). Safe because every task is idempotent; a task
    claimed again since (started after the cut-off) is never touched.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TASK_WORKER_TIMEOUT_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff)
    abandoned = [
        pk
        for pk, workers in running.values_list("pk", "worker_ids")
        if not workers or workers[-1] not in alive
    ]
    recovered = 0
    if abandoned:
        recovered = running.filter(pk__in=abandoned).update(status="READY", started_at=None)
    if recovered:
        logger.warning("Re-queued %d task(s) abandoned by dead workers", recovered)
    WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).delete()
    return recovered
