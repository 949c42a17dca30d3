"""The single scheduler process: enqueues periodic tasks when due and recovers abandoned ones."""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from ops.heartbeat import Heartbeat
from ops.singleton import AdvisoryLock
from services.eventbus import heartbeats, periodic

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Runs the periodic-task scheduler (one at a time: the others wait for its lock)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tick", type=float, default=5.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args, tick: float, once: bool, **options) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        heartbeat = Heartbeat()
        lock = AdvisoryLock("scheduler")
        try:
            if lock.supported and not self._wait_for_lock(lock, heartbeat, tick, once):
                return
            self._run(lock, heartbeat, tick, once)
        finally:
            lock.release()

    def _wait_for_lock(
        self, lock: AdvisoryLock, heartbeat: Heartbeat, tick: float, once: bool
    ) -> bool:
        """A standby is alive (it beats) but enqueues nothing until the active one is gone."""
        announced = False
        while self.running:
            heartbeat.beat()
            if lock.try_acquire():
                self.stdout.write("Scheduler holds the scheduler lock: this one runs the jobs")
                return True
            if not announced:
                self.stdout.write("Another scheduler holds the lock; standing by")
                announced = True
            if once:
                return False
            time.sleep(tick)
        return False

    def _run(self, lock: AdvisoryLock, heartbeat: Heartbeat, tick: float, once: bool) -> None:
        next_due = {id(job): timezone.now() for job in periodic.jobs()}
        names = ", ".join(job.task.name for job in periodic.jobs()) or "none"
        self.stdout.write(f"Scheduler started; periodic tasks: {names}")
        while self.running:
            heartbeat.beat()
            if lock.supported and not lock.still_held():
                # Another scheduler may take over now: stop rather than run beside it.
                raise CommandError("Scheduler lost its lock (database connection gone); exiting")
            close_old_connections()
            now = timezone.now()
            # Workers recover each other's tasks too; this covers a queue whose workers all died.
            heartbeats.recover_abandoned_tasks(now)
            for job in periodic.jobs():
                if next_due[id(job)] <= now:
                    job.task.enqueue()
                    next_due[id(job)] = now + job.interval
            if once:
                return
            time.sleep(tick)

    def _stop(self, signum, frame) -> None:
        self.running = False
