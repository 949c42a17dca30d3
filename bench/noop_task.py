"""The no-op task bench/taskqueue.py enqueues (importable by the worker process it starts)."""

from django_tasks import task


@task(queue_name="default")
def noop() -> None:
    """Does nothing: what is measured is the queue around it."""
