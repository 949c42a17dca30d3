"""Finished task rows are pruned after their retention; nothing else is touched."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ops.housekeeping import prune_task_results, prune_task_results_task
from services.eventbus import periodic
from tests.ops_tasks import slow_marker

pytestmark = pytest.mark.django_db


def finished(status: str, days_ago: float, tmp_path) -> str:
    result = slow_marker.enqueue(str(tmp_path / "x"), 0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=status, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    return str(result.id)


def test_old_results_go_failures_stay_longer_and_pending_tasks_stay(tmp_path, settings):
    settings.TASK_RESULTS_KEEP_DAYS = 7
    settings.TASK_FAILURES_KEEP_DAYS = 30
    old_success = finished("SUCCESSFUL", 8, tmp_path)
    recent_success = finished("SUCCESSFUL", 6, tmp_path)
    failure_in_its_month = finished("FAILED", 8, tmp_path)
    old_failure = finished("FAILED", 31, tmp_path)
    waiting = str(slow_marker.enqueue(str(tmp_path / "y"), 0).id)

    assert prune_task_results() == {"SUCCESSFUL": 1, "FAILED": 1}
    left = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert left == {recent_success, failure_in_its_month, waiting}
    assert old_success not in left and old_failure not in left


def test_pruning_is_scheduled():
    assert prune_task_results_task in [job.task for job in periodic.jobs()]
