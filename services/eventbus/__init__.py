"""Domain events between services, carried by Django's Tasks framework.

`publish` enqueues one task per subscriber. With the database task backend the task rows are
written in the caller's transaction, in one INSERT however many subscribers there are, so an event
is durable exactly when the change it describes commits (a transactional outbox without a relay).
A broker-backed backend cannot join the transaction, so for it publishing waits for the commit
instead.

Subscribers run on their own service's queue and must be idempotent: an event can be delivered
again after a retry or after a worker died mid-task.
"""

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_scopes import scope
from django_tasks import task, task_backends
from django_tasks_db import DatabaseBackend

from ops import context as log_context

from .queue import enqueue_together

logger = logging.getLogger(__name__)

Payload = dict[str, Any]
Handler = Callable[[str, Payload], None]

_subscribers: dict[str, list] = defaultdict(list)

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 300.0


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with full jitter: ~2s, 4s, 8s … capped at five minutes."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


def subscribe(event: str | tuple[str, ...], *, queue: str, max_attempts: int = MAX_ATTEMPTS):
    """Registers `handler(event, payload)` as a task on `queue`, run for every `event` published
    (or every one of several events: one task, so one handler serves where the work is the same).

    A handler that raises is retried with backoff up to `max_attempts`, then fails loudly.
    """

    def decorator(handler: Handler):
        def deliver(event_name: str, payload: Payload, attempt: int, request_id: str) -> None:
            try:
                # Handlers see only the event's tenant, as a staff request would.
                with scope(tenant=payload["tenant_id"]):
                    handler(event_name, payload)
            except Exception:
                if attempt >= max_attempts:
                    logger.exception(
                        "Handler %s gave up on %s after %d attempts; payload=%s",
                        handler.__qualname__,
                        event_name,
                        attempt,
                        payload,
                    )
                    raise
                delay = retry_delay(attempt)
                logger.warning(
                    "Handler %s failed on %s (attempt %d of %d); retrying in %.0fs; payload=%s",
                    handler.__qualname__,
                    event_name,
                    attempt,
                    max_attempts,
                    delay.total_seconds(),
                    payload,
                    exc_info=True,
                )
                subscriber.using(run_after=timezone.now() + delay).enqueue(
                    event_name, payload, attempt=attempt + 1, **_trace(request_id)
                )

        @wraps(handler)
        def run(event_name: str, payload: Payload, attempt: int = 1, request_id: str = "") -> None:
            # Its logs, its retries and the events its handler publishes in turn carry the id
            # of the request that started the chain.
            with log_context.bound_request_id(request_id):
                deliver(event_name, payload, attempt, request_id)

        subscriber = task(queue_name=queue)(run)
        for name in (event,) if isinstance(event, str) else event:
            _subscribers[name].append(subscriber)
        return subscriber

    return decorator


def subscribers(event: str) -> list:
    """The tasks that run for `event`, one per subscribing handler."""
    return list(_subscribers.get(event, ()))


def publish(event: str, payload: Payload) -> None:
    """Announces `event`; call it inside the transaction that made the change.

    Every payload names its `tenant_id`: subscribers run scoped to that tenant. Publishing
    stamps it with "at", the time of the change, unless the caller did.
    """
    if "tenant_id" not in payload:
        raise ValueError(f"Event {event} must carry tenant_id: {payload}")
    # When the change happened, for subscribers that keep time (deadlines, statistics): the
    # task may run much later than the change.
    payload = {"at": timezone.now().isoformat(), **payload}
    handlers = subscribers(event)
    if not handlers:
        logger.debug("No subscriber for %s", event)

    # Captured now: a broker-backed backend enqueues on commit, maybe outside the request.
    trace = _trace(log_context.current_request_id())

    calls = [(handler, (event, payload), trace) for handler in handlers]
    if isinstance(task_backends["default"], DatabaseBackend):
        enqueue_together(calls)
    else:
        transaction.on_commit(lambda: enqueue_together(calls), robust=False)


def _trace(request_id: str) -> dict[str, str]:
    """The request id as a task keyword argument, left out when there is none (e.g. a periodic
    task's events), so such tasks' arguments stay as they were."""
    return {"request_id": request_id} if request_id else {}
