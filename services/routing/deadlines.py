"""Deadlines of assigned cases (办理时限): computed on assignment, followed through the case's
events, coloured on demand (三色预警), extended on approval (延期) and escalated when overdue."""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from services import eventbus
from services.intake import api as intake

from .config import TenantRouting, tenant_routing
from .models import CaseDeadline, DeadlinePolicy
from .working_time import Calendar, add_working_time, warning_instant

logger = logging.getLogger(__name__)

GREEN, YELLOW, RED = "green", "yellow", "red"
COLOURS = (GREEN, YELLOW, RED)
OPEN_ASSIGNED = (intake.CaseState.ASSIGNED, intake.CaseState.IN_PROGRESS)


def event_time(event: eventbus.Event) -> datetime:
    """When the change happened: the event's `at` if it carries one, else now."""
    return event.at or timezone.now()


def load_calendar(tenant_id: int) -> Calendar:
    """The tenant's working calendar, from the routing configuration cache."""
    return tenant_routing(tenant_id).calendar


def choose_policy(
    tenant_id: int, scenario_code: str, rule_policy_id: int | None = None
) -> DeadlinePolicy | None:
    """The rule's policy, else the scenario's, else the tenant's default, else none."""
    return tenant_routing(tenant_id).policy(scenario_code, rule_policy_id)


def township_of(region_path: str) -> int | None:
    """The top of the region path "/3/17/42/": the case's township (镇街)."""
    head = region_path.strip("/").split("/", 1)[0]
    return int(head) if head.isdigit() else None


def _dues(
    cal: Calendar, policy: DeadlinePolicy, start: datetime, *, sign: bool = True
) -> dict[str, datetime]:
    share = float(policy.warn_share)
    resolve_due = add_working_time(cal, start, policy.resolve_limit, policy.resolve_unit)
    dues = {
        "resolve_due": resolve_due,
        "resolve_warn_at": warning_instant(cal, start, resolve_due, share),
    }
    if sign:
        sign_due = add_working_time(cal, start, policy.sign_for_limit, policy.sign_for_unit)
        dues |= {"sign_due": sign_due, "sign_warn_at": warning_instant(cal, start, sign_due, share)}
    return dues


def current_deadline(case_id: int) -> CaseDeadline | None:
    return CaseDeadline.objects.filter(case_id=case_id, current=True).first()


@transaction.atomic
def start_deadline(
    case: intake.CaseSnapshot,
    *,
    at: datetime,
    rule_id: int | None = None,
    rule_policy_id: int | None = None,
    ends_earlier: bool = True,
    config: TenantRouting | None = None,
) -> CaseDeadline:
    """Starts the clocks of a new assignment (the case's department now), ending any earlier
    (`ends_earlier=False`: the caller knows there is none). `config`: the tenant's routing
    configuration when the caller holds it already."""
    if ends_earlier:
        CaseDeadline.objects.filter(case_id=case.id, current=True).update(
            current=False, ended_at=at
        )
    config = config or tenant_routing(case.tenant_id)
    policy = config.policy(case.scenario_code, rule_policy_id)
    dues = _dues(config.calendar, policy, at) if policy else {}
    return CaseDeadline.objects.create(
        tenant_id=case.tenant_id,
        case_id=case.id,
        department_id=case.department_id,  # type: ignore[misc]  # assigned: it has one
        region_id=case.region_id,
        township_id=township_of(case.region_path),
        scenario_code=case.scenario_code,
        rule_id=rule_id,
        policy=policy,
        assigned_at=at,
        **dues,
    )


def follow_assignment(
    case_id: int, at: datetime, rule_id: int | None = None
) -> CaseDeadline | None:
    """On case.assigned (分拨 by rule `rule_id`, 派单, 改派): the assignment's deadline, once;
    the rule's own deadline policy, if it names one, wins over the scenario's.

    The event is the only way a clock starts, so every assignment is timed the same way. A
    redelivered event finds the row already there and changes nothing.
    """
    case = intake.get_case(case_id)
    if case.state not in OPEN_ASSIGNED or case.department_id is None:
        logger.debug("No deadline for case %s: state %s", case_id, case.state)
        return None
    current = current_deadline(case_id)
    if current is not None and current.department_id == case.department_id:
        return current
    config = tenant_routing(case.tenant_id)
    rule = config.rule(rule_id) if rule_id is not None else None
    return start_deadline(
        case,
        at=at,
        # A rule switched off or deleted since: the scenario's clock (the FK needs a live rule).
        rule_id=rule.pk if rule else None,
        rule_policy_id=rule.policy_id if rule else None,
        ends_earlier=current is not None,
        config=config,
    )


def record_signed(case_id: int, at: datetime) -> None:
    """签收 time, for the colour (the sign-for clock stops) and the statistics.

    An escalation for a late signature is settled by signing: clearing `escalated_at` lets a
    later overdue resolution be escalated on its own.
    """
    current = current_deadline(case_id) or follow_assignment(case_id, at)
    if current is not None:
        CaseDeadline.objects.filter(pk=current.pk, signed_at=None).update(
            signed_at=at, escalated_at=None
        )


def record_resolved(case_id: int, at: datetime) -> None:
    """办结: both clocks stop; the case leaves the colour lists."""
    CaseDeadline.objects.filter(case_id=case_id, current=True, resolved_at=None).update(
        resolved_at=at
    )


def record_reopened(case_id: int, at: datetime) -> None:
    """重办: the department gets a fresh resolve period from the reopening."""
    current = current_deadline(case_id)
    if current is None or current.resolved_at is None:
        return
    dues: Mapping[str, datetime | None] = {"resolve_due": None, "resolve_warn_at": None}
    if current.policy is not None:
        dues = _dues(load_calendar(current.tenant_id), current.policy, at, sign=False)
    CaseDeadline.objects.filter(pk=current.pk).update(resolved_at=None, escalated_at=None, **dues)


def record_returned(case_id: int, at: datetime) -> None:
    """退回: the assignment ends as returned."""
    CaseDeadline.objects.filter(case_id=case_id, current=True).update(
        current=False, returned_at=at, ended_at=at
    )


def record_closed(case_id: int, at: datetime) -> None:
    """结案/作废 without a resolution: the assignment ends; a resolved one stays as it is."""
    CaseDeadline.objects.filter(case_id=case_id, current=True, resolved_at=None).update(
        current=False, ended_at=at
    )


# --- Colours --------------------------------------------------------------------------------


def running() -> QuerySet:
    """Current assignments with a deadline, not yet resolved (in the active tenant scope)."""
    return CaseDeadline.objects.filter(current=True, resolved_at=None, resolve_due__isnull=False)


def red_q(now: datetime) -> Q:
    return Q(signed_at=None, sign_due__lt=now) | Q(resolve_due__lt=now)


def yellow_q(now: datetime) -> Q:
    return Q(signed_at=None, sign_warn_at__lte=now) | Q(resolve_warn_at__lte=now)


def colour_of(row: dict[str, Any], now: datetime) -> str:
    """The same rule as red_q / yellow_q, for rows already read."""
    unsigned = row["signed_at"] is None
    if (unsigned and row["sign_due"] < now) or row["resolve_due"] < now:
        return RED
    if (unsigned and row["sign_warn_at"] <= now) or row["resolve_warn_at"] <= now:
        return YELLOW
    return GREEN


def colours(case_ids, now: datetime | None = None) -> dict[int, str]:
    now = now or timezone.now()
    rows = running().filter(case_id__in=list(case_ids))
    fields = ("case_id", "signed_at", "sign_due", "sign_warn_at", "resolve_due", "resolve_warn_at")
    return {row["case_id"]: colour_of(row, now) for row in rows.values(*fields)}


def in_colour(colour: str, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    if colour == RED:
        rows = running().filter(red_q(now))
    elif colour == YELLOW:
        rows = running().filter(yellow_q(now)).exclude(red_q(now))
    elif colour == GREEN:
        rows = running().exclude(red_q(now)).exclude(yellow_q(now))
    else:
        raise ValueError(f"Unknown deadline colour {colour!r}; expected one of {COLOURS}")
    return rows.values_list("case_id", flat=True)
