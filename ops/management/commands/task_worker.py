"""`db_worker` (services/eventbus: woken on commit, batch claims, a heartbeat row other workers
read) with a heartbeat file touched on every pass of its loop, for the liveness probe.

Same options as `db_worker`. Each pass (claim tasks, run them, or wait when none is due) beats
`ops.heartbeat`; the pod's exec probe (`python -m ops.heartbeat --max-age 60`) fails when the
loop stopped passing, for instance inside a task that never returns, and the kubelet restarts
the container. The worker's heartbeat row then ages, and another worker re-queues the task.
"""

from ops.heartbeat import Heartbeat
from services.eventbus import worker
from services.eventbus.management.commands import db_worker


class HeartbeatWorker(worker.Worker):
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
    help = "Runs a task worker that also beats a heartbeat file for the liveness probe."

    def handle(self, *args, **options) -> None:
        # db_worker builds its worker by module attribute; this process runs ours instead.
        worker.Worker = HeartbeatWorker  # type: ignore[misc]
        super().handle(*args, **options)
