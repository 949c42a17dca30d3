"""The single scheduler process: enqueues periodic tasks when due and recovers abandoned ones."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from services.eventbus import heartbeats, periodic


class Command(BaseCommand):
    help = "Runs the periodic-task scheduler (run exactly one)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tick", type=float, default=5.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args, tick: float, once: bool, **options) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        next_due = {id(job): timezone.now() for job in periodic.jobs()}
        names = ", ".join(job.task.name for job in periodic.jobs()) or "none"
        self.stdout.write(f"Scheduler started; periodic tasks: {names}")
        while self.running:
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
