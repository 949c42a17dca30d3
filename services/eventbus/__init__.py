"""Domain events between services, carried by Django's Tasks framework.

`publish` enqueues one task per subscriber. With the database task backend the task rows are
written in the caller's transaction, in one INSERT however many subscribers there are, so an event
is durable exactly when the change it describes commits (a transactional outbox without a relay).
A broker-backed backend cannot join the transaction, so for it publishing waits for the commit
instead.

Subscribers run on their own service's queue and must be idempotent: an event can be delivered
again after a retry or after a worker died mid-task.

Each event is declared once, by the service that publishes it, in its `events` module
(declarations.py says how); `publish` takes an instance, `subscribe` names the class, and the
system check in checks.py refuses a subscription to an event no service publishes.
"""

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_scopes import scope
from django_tasks import task, task_backends
from django_tasks_db import DatabaseBackend

from ops import context as log_context

from .declarations import Event, declaration, declared
from .queue import enqueue_together

__all__ = [
    "Event",
    "Subscription",
    "declaration",
    "declared",
    "publish",
    "subscribe",
    "subscribers",
    "subscriptions",
    "unsubscribe",
]

logger = logging.getLogger(__name__)

Payload = dict[str, Any]
Handler = Callable[[Any], None]  # receives the event, an instance of the declaration it names

# The subscriber tasks of each event name, and which declarations each subscription names.
_subscribers: dict[str, list] = defaultdict(list)
_subscriptions: list["Subscription"] = []

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 300.0


@dataclass(frozen=True)
class Subscription:
    """One handler's subscription: what it names, for the system check and the README table."""

    events: tuple[type[Event], ...]
    handler: Callable
    queue: str
    task: Any


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with full jitter: ~2s, 4s, 8s … capped at five minutes."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


def subscribe(
    event: type[Event] | tuple[type[Event], ...], *, queue: str, max_attempts: int = MAX_ATTEMPTS
):
    """Registers `handler(event)` as a task on `queue`, run for every `event` published (or
    every one of several: one task, so one handler serves where the work is the same).

    `event` is the declaration (the class), never its name: a misspelling is an ImportError or
    AttributeError where the handler is defined. The handler receives the event as an instance
    of that class.
    A handler that raises is retried with backoff up to `max_attempts`, then fails loudly.
    """
    events = event if isinstance(event, tuple) else (event,)
    for declared_event in events:
        if not (isinstance(declared_event, type) and issubclass(declared_event, Event)):
            raise TypeError(
                f"subscribe() takes event declarations (eventbus.Event classes), "
                f"not {declared_event!r}"
            )
        if declaration(getattr(declared_event, "name", "")) is not declared_event:
            raise TypeError(
                f"{declared_event.__qualname__} declares shared fields, not an event: "
                f"subscribe to each event that has them"
            )
    by_name = {e.name: e for e in events}

    def decorator(handler: Handler):
        def deliver(event_name: str, payload: Payload, attempt: int, request_id: str) -> None:
            try:
                # Stored as name + JSON: rows written before the declarations deliver too.
                received = by_name[event_name].from_payload(payload)
                # Handlers see only the event's tenant, as a staff request would.
                with scope(tenant=received.tenant_id):
                    handler(received)
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
        for name in by_name:
            _subscribers[name].append(subscriber)
        _subscriptions.append(Subscription(events, handler, queue, subscriber))
        return subscriber

    return decorator


def unsubscribe(subscriber) -> None:
    """Removes a subscription (for tests that subscribe a throwaway handler)."""
    for tasks in _subscribers.values():
        if subscriber in tasks:
            tasks.remove(subscriber)
    _subscriptions[:] = [s for s in _subscriptions if s.task is not subscriber]


def subscriptions() -> list[Subscription]:
    """Every subscription made so far, in the order made."""
    return list(_subscriptions)


def subscribers(event: type[Event] | str) -> list:
    """The tasks that run for `event`, one per subscribing handler."""
    name = event if isinstance(event, str) else event.name
    return list(_subscribers.get(name, ()))


def publish(event: Event) -> None:
    """Announces `event`; call it inside the transaction that made the change.

    `event` is an instance of its declaration (its fields were checked when it was made);
    publishing stamps it with `at`, the time of the change, unless the publisher did: the task
    may run much later than the change (deadlines and statistics keep time by it).
    """
    name = getattr(type(event), "name", None) if isinstance(event, Event) else None
    if name is None or declaration(name) is not type(event):
        raise TypeError(f"publish() takes an event declared with eventbus.Event, not {event!r}")
    if event.at is None:
        event = replace(event, at=timezone.now())
    payload = event.as_payload()
    handlers = subscribers(event.name)
    if not handlers:
        logger.debug("No subscriber for %s", event.name)

    # Captured now: a broker-backed backend enqueues on commit, maybe outside the request.
    trace = _trace(log_context.current_request_id())

    calls = [(handler, (event.name, payload), trace) for handler in handlers]
    if isinstance(task_backends["default"], DatabaseBackend):
        enqueue_together(calls)
    else:
        transaction.on_commit(lambda: enqueue_together(calls), robust=False)


def _trace(request_id: str) -> dict[str, str]:
    """The request id as a task keyword argument, left out when there is none (e.g. a periodic
    task's events), so such tasks' arguments stay as they were."""
    return {"request_id": request_id} if request_id else {}
