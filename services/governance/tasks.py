"""The governance index's scheduled work, enqueued by `manage.py scheduler`.

On the default queue (the notify worker also serves it): a few grouped queries per tenant
once a month do not deserve a worker of their own.
"""

from django_tasks import task

from services.eventbus import periodic

from .results import freeze_previous_month


@periodic.every(hours=6)
@task(queue_name="default")
def freeze_last_month() -> int:
    """Freezes every tenant's previous month once it has closed: the first run on the 1st
    does it, later runs find it frozen (idempotent); returns how many months it froze."""
    return freeze_previous_month()
