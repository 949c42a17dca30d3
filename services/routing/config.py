"""A tenant's routing configuration (rules, deadline policies, working calendar), read and
compiled once per change and kept in each routing worker's memory.

Any change moves the tenant's RoutingConfigVersion (the receivers below: admin edits, the
api, bulk rule updates, a co-handling department renamed or deleted), so routing a case checks
the whole configuration with one primary-key read and the next case after an edit sees it.
"""

import logging
import threading
from dataclasses import dataclass

from django.db import connections, router
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import rules
from .models import CalendarDay, DeadlinePolicy, RoutingConfigVersion, RoutingRule, WorkCalendar
from .working_time import Calendar

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantRouting:
    rules: list  # of rules.CompiledRule, active ones in matching order
    calendar: Calendar
    policies: tuple[DeadlinePolicy, ...]

    def policy(self, scenario_code: str, rule_policy_id: int | None = None):
        """The rule's policy, else the scenario's, else the tenant's default, else none."""
        by_rule = [p for p in self.policies if p.pk == rule_policy_id]
        by_scenario = [p for p in self.policies if p.scenario_code == scenario_code]
        default = [p for p in self.policies if p.is_default]
        return next(iter(by_rule + by_scenario + default), None)

    def rule(self, rule_id: int):
        """The active rule `rule_id`, None if it is gone or switched off since."""
        return next((r for r in self.rules if r.pk == rule_id), None)


_cache: dict[int, tuple[int, TenantRouting]] = {}
_lock = threading.Lock()


# Read for every routed case, so straight through a cursor: building this one-column primary-key
# SELECT through the ORM costs the worker several times what the database spends on it.
# The table and columns are RoutingConfigVersion's; the tests of an edit reaching the next
# routed case read it through here.
_VERSION_SQL = 'SELECT "version" FROM "routing_routingconfigversion" WHERE "tenant_id" = %s'


def version(tenant_id: int) -> int:
    with connections[router.db_for_read(RoutingConfigVersion)].cursor() as cursor:
        cursor.execute(_VERSION_SQL, [tenant_id])
        row = cursor.fetchone()
    return row[0] if row else 0


def read_calendar(tenant_id: int) -> Calendar:
    """The tenant's working calendar (工作日历) as stored: hours, weekend, holidays and
    make-up workdays."""
    settings = WorkCalendar.objects.filter(tenant_id=tenant_id).first()
    days = CalendarDay.objects.filter(tenant_id=tenant_id).values_list("date", "kind")
    holidays = frozenset(d for d, kind in days if kind == CalendarDay.Kind.HOLIDAY)
    workdays = frozenset(d for d, kind in days if kind == CalendarDay.Kind.WORKDAY)
    if settings is None:
        return Calendar(holidays=holidays, workdays=workdays)
    return Calendar(
        day_start=settings.day_start,
        day_end=settings.day_end,
        weekend=frozenset(settings.weekend_days),
        holidays=holidays,
        workdays=workdays,
    )


def tenant_routing(tenant_id: int) -> TenantRouting:
    """The tenant's configuration as of now, from the process cache while unchanged."""
    current = version(tenant_id)
    cached = _cache.get(tenant_id)
    if cached is not None and cached[0] == current:
        return cached[1]
    loaded = TenantRouting(
        rules=rules.load_rules(tenant_id),
        calendar=read_calendar(tenant_id),
        policies=tuple(DeadlinePolicy.objects.filter(tenant_id=tenant_id).order_by("pk")),
    )
    with _lock:
        _cache[tenant_id] = (current, loaded)
    logger.info("Loaded routing configuration v%s of tenant %s", current, tenant_id)
    return loaded


def changed(tenant_id: int) -> None:
    """Every cached copy of the tenant's configuration is out of date from now on."""
    RoutingConfigVersion.advance(tenant_id)


def _instance_changed(sender, instance, **kwargs) -> None:
    changed(instance.tenant_id)


def _co_handlers_changed(sender, instance, action: str, **kwargs) -> None:
    if action.startswith("post_") and isinstance(instance, RoutingRule):
        changed(instance.tenant_id)


def _department_changed(sender, instance, **kwargs) -> None:
    # Rules carry their co-handling departments' names; deleting one drops it from rules.
    changed(instance.tenant_id)


def connect() -> None:
    for model in (RoutingRule, DeadlinePolicy, WorkCalendar, CalendarDay):
        post_save.connect(_instance_changed, sender=model, dispatch_uid=f"routing-config-{model}")
        post_delete.connect(_instance_changed, sender=model, dispatch_uid=f"routing-del-{model}")
    m2m_changed.connect(
        _co_handlers_changed,
        sender=RoutingRule.co_departments.through,
        dispatch_uid="routing-config-co-handlers",
    )
    # The directory's model named lazily (routing imports only directory.api). A receiver
    # with no sender would listen to every model, and Django then gives up its fast delete
    # (one DELETE, no SELECT first) for every model of the project.
    department = "directory.Department"
    post_save.connect(_department_changed, sender=department, dispatch_uid="routing-dept")
    post_delete.connect(_department_changed, sender=department, dispatch_uid="routing-dept-del")
