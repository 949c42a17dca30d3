"""The database task queue's rows: written together, claimed in batches, put back when their
worker died.

django-tasks-db writes one row per `enqueue` and claims one row per transaction; here an event's
tasks are one INSERT and a worker claims several ready rows in one SELECT … FOR UPDATE SKIP LOCKED
and one UPDATE. Rows are still django-tasks-db's, so its admin, result lookups and our metrics
read them unchanged.
"""

import logging
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django_tasks import task_backends
from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db import DatabaseBackend

logger = logging.getLogger(__name__)

# (task, args, kwargs)
TaskCall = tuple[Any, Sequence[Any], dict[str, Any]]


def enqueue_together(calls: Sequence[TaskCall]) -> None:
    """Enqueues every call; with the database backend as one INSERT (in the caller's
    transaction), else one by one through the configured backend."""
    if not calls:
        return
    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend) or any(
        t.get_backend() is not backend for t, _args, _kwargs in calls
    ):
        for task, args, kwargs in calls:
            task.enqueue(*args, **kwargs)
        return
    from django_tasks_db.models import DBTaskResult, get_date_max  # needs the app registry

    rows = []
    for task, args, kwargs in calls:
        backend.validate_task(task)
        rows.append(
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": list(args), "kwargs": kwargs}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                # bulk_create skips django-tasks-db's pre_save hook that sets this.
                run_after=task.run_after or get_date_max(),
                backend_name=backend.alias,
            )
        )
    DBTaskResult.objects.bulk_create(rows)
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)


def claim_ready(ready, worker_id: str, limit: int) -> list:
    """Up to `limit` ready rows of the `ready` queryset, marked RUNNING by `worker_id`: one
    SELECT … FOR UPDATE SKIP LOCKED and one UPDATE, so concurrent workers never share a row."""
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    with exclusive_transaction(ready.db):
        rows = list(ready.select_for_update(skip_locked=True)[:limit])
        now = timezone.now()
        for row in rows:
            row.status = "RUNNING"
            row.started_at = now
            row.worker_ids = [*row.worker_ids, worker_id]
        if rows:
            DBTaskResult.objects.bulk_update(rows, ["status", "started_at", "worker_ids"])
    return rows


def release(rows: Sequence) -> int:
    """Hands claimed rows that never started back to the queue (a worker stopping mid-batch)."""
    from django_tasks_db.models import DBTaskResult

    if not rows:
        return 0
    return DBTaskResult.objects.filter(pk__in=[r.pk for r in rows], status="RUNNING").update(
        status="READY", started_at=None
    )
