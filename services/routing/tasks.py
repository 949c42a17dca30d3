"""Routing's periodic work, enqueued by `manage.py scheduler`, run by the deadlines worker."""

from django.utils import timezone
from django_tasks import task

from services.eventbus import periodic

from .escalation import escalate_overdue, warn_due_soon
from .holidays import warn_if_next_year_missing

CHECK_EVERY_MINUTES = 5
QUEUE = "deadlines"  # routing's bookkeeping queue (see handlers)


@periodic.every(minutes=CHECK_EVERY_MINUTES)
@task(queue_name=QUEUE)
def check_deadlines() -> int:
    """超期检查: escalates cases whose deadline turned red since the last run, and announces
    those that turned yellow (预警); returns how many changed colour."""
    return escalate_overdue() + warn_due_soon()


@periodic.every(days=1)
@task(queue_name=QUEUE)
def check_next_years_holidays() -> int:
    """Warns (log) from November on about tenants whose working calendar lacks next year's
    法定节假日; returns how many. The admin shows the same warning on the calendar pages."""
    return len(warn_if_next_year_missing(timezone.localdate()))
