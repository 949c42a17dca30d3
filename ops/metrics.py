"""Prometheus metrics: this process's HTTP traffic, and the state of the whole system.

Two kinds, on purpose:
- per process (requests, latency, in flight): each web pod counts its own; sum them across pods;
- system state read from the database (queue depth and age, cases per scenario, SMS by state,
  overdue cases, survey ratings):
  every pod reports the same numbers, read at most every STATE_TTL seconds however often it is
  scraped; aggregate them with max(), not sum().
"""

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_scopes import scope
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.directory import api as directory
from services.intake import api as intake
from services.notify import api as notify
from services.routing import api as routing

from . import health

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUESTS = Counter(
    "gongzhima_http_requests",
    "HTTP requests answered by this process, by URL pattern and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "gongzhima_http_request_duration_seconds",
    "Time to answer an HTTP request in this process, by URL pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
IN_FLIGHT = Gauge(
    "gongzhima_http_requests_in_flight",
    "HTTP requests being answered by this process now.",
    registry=REGISTRY,
)


@dataclass
class QueueStats:
    ready: int = 0  # due now and waiting for a worker
    scheduled: int = 0  # waiting for a later run_after (retries in backoff)
    running: int = 0
    failed: int = 0  # gave up: needs an operator
    oldest_ready_age: float = 0.0  # seconds the longest-waiting due task has waited


@dataclass
class SystemState:
    read_at: float
    queues: dict[str, QueueStats] = field(default_factory=dict)
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, scenario)
    sms: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, state)
    deadlines: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, colour)
    ratings: dict[tuple[str, int], int] = field(default_factory=dict)  # (tenant, rating)


def queue_stats(now: datetime | None = None) -> dict[str, QueueStats]:
    """Per queue, from django-tasks-db's table (READY rows use its partial index)."""
    now = now or timezone.now()
    never = get_date_max()  # django-tasks-db's run_after for "as soon as possible"
    stats = {name: QueueStats() for name in settings.TASK_QUEUES}
    rows = (
        DBTaskResult.objects.filter(status__in=["READY", "RUNNING", "FAILED"])
        .values("queue_name", "status")
        .annotate(
            n=Count("id"),
            due=Count("id", filter=Q(run_after=never) | Q(run_after__lte=now)),
            oldest_asap=Min("enqueued_at", filter=Q(run_after=never)),
            oldest_delayed=Min("run_after", filter=Q(run_after__lte=now)),
        )
        .order_by()
    )
    for row in rows:
        queue = stats.setdefault(row["queue_name"], QueueStats())
        if row["status"] == "RUNNING":
            queue.running = row["n"]
        elif row["status"] == "FAILED":
            queue.failed = row["n"]
        else:
            queue.ready = row["due"]
            queue.scheduled = row["n"] - row["due"]
            waiting_since = [t for t in (row["oldest_asap"], row["oldest_delayed"]) if t]
            if waiting_since:
                queue.oldest_ready_age = max(0.0, (now - min(waiting_since)).total_seconds())
    return stats


def _tenant_slugs(tenant_ids: set[int]) -> dict[int, str]:
    return {tenant_id: directory.get_tenant(tenant_id).slug for tenant_id in tenant_ids}


def deadline_counts(tenant_ids: set[int]) -> dict[tuple[int, str], int]:
    """Open cases per deadline colour (三色预警; red is overdue), from routing, per tenant."""
    counts = {}
    for tenant_id in tenant_ids:
        with scope(tenant=tenant_id):
            for colour in ("yellow", "red"):
                counts[(tenant_id, colour)] = routing.case_ids_in_colour(colour).count()
    return counts


def read_state() -> SystemState:
    cases = intake.case_counts()
    sms = notify.sms_counts()
    ratings = notify.survey_rating_counts()
    tenants = {tenant for tenant, _ in cases} | {tenant for tenant, _ in sms}
    tenants |= {tenant for tenant, _ in ratings}
    slugs = _tenant_slugs(tenants)
    return SystemState(
        read_at=time.monotonic(),
        queues=queue_stats(),
        cases={(slugs[t], scenario): n for (t, scenario), n in cases.items()},
        sms={(slugs[t], state): n for (t, state), n in sms.items()},
        deadlines={(slugs[t], colour): n for (t, colour), n in deadline_counts(tenants).items()},
        ratings={(slugs[t], rating): n for (t, rating), n in ratings.items()},
    )


class SystemStateCollector(Collector):
    """Reads the system state on scrape, at most once per `ttl` seconds per process."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._state: SystemState | None = None
        self._lock = threading.Lock()

    def state(self) -> SystemState:
        with self._lock:
            if self._state is None or time.monotonic() - self._state.read_at >= self.ttl:
                self._state = read_state()
            return self._state

    def collect(self) -> Iterator:
        up = GaugeMetricFamily(
            "gongzhima_system_state_up",
            "1 when the system state below could be read from the database, else 0.",
        )
        try:
            state = self.state()
        except Exception:
            # The process metrics still go out; the log says why the state is missing.
            logger.exception("Metrics: could not read the system state from the database")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        families = {
            "ready": GaugeMetricFamily(
                "gongzhima_task_queue_ready",
                "Tasks due now, waiting for a worker.",
                labels=["queue"],
            ),
            "scheduled": GaugeMetricFamily(
                "gongzhima_task_queue_scheduled",
                "Tasks waiting for a later time (retries in backoff).",
                labels=["queue"],
            ),
            "running": GaugeMetricFamily(
                "gongzhima_task_queue_running", "Tasks being run by a worker.", labels=["queue"]
            ),
            "failed": GaugeMetricFamily(
                "gongzhima_task_queue_failed",
                "Tasks that gave up after their retries and need an operator.",
                labels=["queue"],
            ),
            "oldest_ready_age": GaugeMetricFamily(
                "gongzhima_task_queue_oldest_ready_age_seconds",
                "How long the longest-waiting due task has waited (0 when none waits).",
                labels=["queue"],
            ),
        }
        for queue, stats in sorted(state.queues.items()):
            for attribute, family in families.items():
                family.add_metric([queue], getattr(stats, attribute))
        yield from families.values()

        cases = CounterMetricFamily(
            "gongzhima_cases_submitted",
            "Cases submitted since the start, by tenant and scenario (from the database).",
            labels=["tenant", "scenario"],
        )
        for (tenant, scenario), n in sorted(state.cases.items()):
            cases.add_metric([tenant, scenario], n)
        yield cases

        sms = GaugeMetricFamily(
            "gongzhima_sms_messages",
            "SMS in the outbox by state (sent, delivered, failed, queued …).",
            labels=["tenant", "state"],
        )
        for (tenant, state_name), n in sorted(state.sms.items()):
            sms.add_metric([tenant, state_name], n)
        yield sms

        overdue = GaugeMetricFamily(
            "gongzhima_cases_overdue",
            "Open cases past their sign-for or resolve deadline (red).",
            labels=["tenant"],
        )
        due_soon = GaugeMetricFamily(
            "gongzhima_cases_due_soon",
            "Open cases inside their deadline's warning window (yellow).",
            labels=["tenant"],
        )
        for (tenant, colour), n in sorted(state.deadlines.items()):
            (overdue if colour == "red" else due_soon).add_metric([tenant], n)
        yield overdue
        yield due_soon

        ratings = CounterMetricFamily(
            "gongzhima_survey_answers",
            "Answered satisfaction surveys (满意度回访) by tenant and rating (from the database).",
            labels=["tenant", "rating"],
        )
        for (tenant, rating), n in sorted(state.ratings.items()):
            ratings.add_metric([tenant, str(rating)], n)
        yield ratings


class DependencyCollector(Collector):
    """Whether each service this pod talks to answers now (ops/health.py), on every scrape.

    Per pod, like readiness; a dependency the pod serves without (Redis) shows here as 0 while
    /readyz stays 200, "degraded".
    """

    def collect(self) -> Iterator:
        up = GaugeMetricFamily(
            "gongzhima_dependency_up",
            "1 when the dependency answers from this pod, else 0; required=false: the site "
            "serves without it, degraded.",
            labels=["dependency", "required"],
        )
        for check in health.dependencies():
            up.add_metric([check.name, str(check.required).lower()], 1 if check.ok else 0)
        yield up


STATE = SystemStateCollector(ttl=float(getattr(settings, "METRICS_STATE_TTL", 15)))
REGISTRY.register(STATE)
REGISTRY.register(DependencyCollector())
