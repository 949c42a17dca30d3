"""Keeps django-tasks-db's table small: every case leaves several finished task rows behind.

Without this the table grows with every case forever, and with it each worker's poll and each
metrics scrape. Successful results are kept a week (enough to look into a recent case's path),
failed ones a month (each needs an operator; they show in gongzhima_task_queue_failed).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from services.eventbus import periodic

logger = logging.getLogger(__name__)

BATCH = 5_000  # short transactions: the workers poll the same table meanwhile


def prune_task_results(now=None) -> dict[str, int]:
    """Deletes finished task rows past their retention; returns how many of each status."""
    now = now or timezone.now()
    keep = {
        "SUCCESSFUL": timedelta(days=settings.TASK_RESULTS_KEEP_DAYS),
        "FAILED": timedelta(days=settings.TASK_FAILURES_KEEP_DAYS),
    }
    deleted = {}
    for status, age in keep.items():
        old = DBTaskResult.objects.filter(status=status, finished_at__lt=now - age)
        total = 0
        while ids := list(old.values_list("id", flat=True)[:BATCH]):
            total += DBTaskResult.objects.filter(id__in=ids).delete()[0]
        deleted[status] = total
    if any(deleted.values()):
        logger.info("Pruned task results: %s", deleted)
    return deleted


@periodic.every(hours=1)
@task(queue_name="default")
def prune_task_results_task() -> dict[str, int]:
    return prune_task_results()
