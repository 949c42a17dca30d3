"""`db_worker` (django-tasks-db) with a heartbeat on every pass of its loop, for the liveness probe.

Same options as `db_worker`. Each pass (claim a task, run it, or sleep when none is due) beats
`ops.heartbeat`; the pod's exec probe (`python -m ops.heartbeat --max-age 60`) fails when the
loop stopped passing, for instance inside a task that never returns, and the kubelet restarts
the container. The scheduler re-queues the task it abandoned.
"""

from django_tasks_db.management.commands import db_worker

from ops.heartbeat import Heartbeat


class HeartbeatWorker(db_worker.Worker):
    """The loop reads `running` at the top of every pass (and nowhere during a task): reading it
    beats, so the heartbeat follows the loop itself without a copy of the loop here."""

    def __init__(self, **options) -> None:
        self.heartbeat = Heartbeat()
        super().__init__(**options)

    @property
    def running(self) -> bool:
        self.heartbeat.beat()
        return self._running

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value


class Command(db_worker.Command):
    help = "Runs a database task worker that beats a heartbeat for the liveness probe."

    def handle(self, *args, **options) -> None:
        # db_worker builds its Worker by module-level name; this process runs ours instead.
        db_worker.Worker = HeartbeatWorker
        super().handle(*args, **options)
