"""The task worker (任务进程): django-tasks-db's worker, woken on commit, claiming in batches,
with a heartbeat so that the tasks of a worker killed outright run again within seconds.

- Wake: on PostgreSQL a trigger NOTIFYs a queue's name when a ready task row commits
  (migration 0001 of this app); the worker LISTENs and looks at once. `--interval` remains the
  longest it waits between looks (due retries, a lost notification). SQLite polls every interval.
- Claim: up to TASK_CLAIM_BATCH ready rows in one statement pair; rows it has not started when
  it stops are handed back.
- Heartbeat: a thread writes the worker's row every TASK_HEARTBEAT_SECONDS and hands back the
  tasks of workers silent for TASK_WORKER_TIMEOUT_SECONDS (services/eventbus/heartbeats.py).
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker

if TYPE_CHECKING:
    import psycopg
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from . import heartbeats
from .queue import claim_ready, release

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "gongzhima_tasks"  # the trigger's, in migrations/0001


class Worker(DatabaseWorker):
    def __init__(self, *, claim_batch: int, **options) -> None:
        super().__init__(**options)
        self.claim_batch = claim_batch
        self.held: list[DBTaskResult] = []  # claimed, not started yet

    def run(self) -> None:
        queues = ",".join(self.queue_names)
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, queues)
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 (spreads a fleet's first looks)
        heartbeats.beat(self.worker_id, queues)
        # A draining run (--batch, as tests use) is short: its beats come from the loop.
        pulse = None if self.batch else _Pulse(self.worker_id, queues)
        try:
            with _wakeups(self._wanted) as wait:
                self._loop(wait)
        finally:
            if pulse:
                pulse.stop()
            release(self.held)
            heartbeats.sign_off(self.worker_id)

    def _loop(self, wait: Callable[[float], None]) -> None:
        while self.running:
            close_old_connections()
            claimed = self._claim()
            if claimed is not None and not claimed and self.batch:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            self.held = list(claimed or ())
            while self.held and self.running:
                self.run_task(self.held.pop(0))
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
            if self.batch:
                heartbeats.beat(self.worker_id, ",".join(self.queue_names))
            close_old_connections()
            if self.running and not claimed:
                wait(self.interval)

    def _claim(self) -> list[DBTaskResult] | None:
        """Ready rows of this worker's queues, claimed; None while SQLite is locked."""
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            ready = ready.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            ready = ready.exclude(queue_name__in=self.excluded_queue_names)
        try:
            return claim_ready(ready, self.worker_id, self.claim_batch)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def _wanted(self, queue: str) -> bool:
        return (
            self.process_all_queues or queue in self.queue_names
        ) and queue not in self.excluded_queue_names


class _Pulse(threading.Thread):
    """Beats the worker's heart and recovers dead workers' tasks, beside the task it runs."""

    def __init__(self, worker_id: str, queues: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id[:8]}", daemon=True)
        self.worker_id, self.queues = worker_id, queues
        self.stopped = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stopped.wait(settings.TASK_HEARTBEAT_SECONDS):
            try:
                heartbeats.beat(self.worker_id, self.queues)
                heartbeats.recover_abandoned_tasks()
            except Exception:
                logger.exception("Heartbeat of worker %s failed; retrying", self.worker_id)
            finally:
                close_old_connections()
        connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=settings.TASK_HEARTBEAT_SECONDS + 5)


@contextmanager
def _wakeups(wanted: Callable[[str], bool]):
    """`wait(seconds)`: returns early when a task for one of `wanted` queues commits
    (PostgreSQL LISTEN); elsewhere, or while the listening connection is down, it sleeps."""
    listener = _Listener(wanted) if connection.vendor == "postgresql" else None
    try:
        yield listener.wait if listener else time.sleep
    finally:
        if listener:
            listener.close()


class _Listener:
    def __init__(self, wanted: Callable[[str], bool]) -> None:
        self.wanted = wanted
        self.conn: psycopg.Connection | None = None

    def _connect(self) -> "psycopg.Connection":
        import psycopg

        params = connection.get_connection_params()
        self.conn = conn = psycopg.Connection.connect(**params, autocommit=True)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            conn = self.conn
            if conn is None or conn.closed:
                conn = self._connect()
            while (left := deadline - time.monotonic()) > 0:
                for note in conn.notifies(timeout=left, stop_after=1):
                    if self.wanted(note.payload):
                        return
        except Exception:
            logger.warning("Task notifications unavailable; polling", exc_info=True)
            self.close()
            time.sleep(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
