"""Choosing a department for a case (分拨)."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from services.intake import api as intake

from . import deadlines
from .config import tenant_routing
from .models import RoutingDecision
from .nearest import choose_officer
from .rules import CompiledRule, first_match

logger = logging.getLogger(__name__)


def route_case(case_id: int, *, after_return: bool = False) -> RoutingDecision | None:
    """分拨: assigns the case by the first matching rule, or holds it for manual dispatch.

    Runs inside the case's tenant scope (the event bus sets it), so only that tenant's rules
    are seen. Idempotent: a case that is no longer waiting for routing is left alone. A rule whose
    department returned (退回) the case is skipped, so the case never bounces straight back.
    Routing decides; intake records who handles the case (lead and co-handlers) and announces
    `case.assigned`, on which the deadline clock starts (deadlines.follow_assignment).
    """
    with transaction.atomic():
        case = intake.get_case(case_id)
        if case.state != intake.CaseState.SUBMITTED:
            logger.info("Case %s not routed: state is %s", case_id, case.state)
            return None
        if after_return:
            _record_return(case, timezone.now())
        returned_rules = set()
        if after_return or case.department_id is not None:
            returned_rules = set(
                RoutingDecision.objects.filter(case_id=case_id, returned=True)
                .exclude(rule=None)
                .values_list("rule_id", flat=True)
            )
        rule = first_match(tenant_routing(case.tenant_id).rules, case, returned_rules)
        if rule is None:
            intake.hold_for_dispatch(case, _no_match_note(bool(returned_rules)))
            logger.info("Case %s (tenant %s): no rule matched", case_id, case.tenant_id)
            return RoutingDecision.objects.create(
                tenant_id=case.tenant_id,
                case_id=case_id,
                outcome=RoutingDecision.Outcome.NO_MATCH,
            )
        choice = choose_officer(case.tenant_id, rule, case)
        intake.assign(
            case,  # as read above, in this transaction: intake does not read it again
            rule.department_id,
            _assignment_note(rule),
            priority=rule.set_priority,
            co_department_ids=rule.co_department_ids,
            rule_id=rule.pk,
            officer_id=choice.officer_id if choice else None,
        )
        if choice is not None:
            intake.add_timeline_note(case_id, "nearest_officer", choice.note())
        # DEBUG: one line per case is noise at volume (the decision row is the record).
        logger.debug(
            "Case %s (tenant %s) routed by rule %s to department %s",
            case_id,
            case.tenant_id,
            rule.pk,
            rule.department_id,
        )
        return RoutingDecision.objects.create(
            tenant_id=case.tenant_id,
            case_id=case_id,
            rule_id=rule.pk,
            department_id=rule.department_id,
            outcome=RoutingDecision.Outcome.ASSIGNED,
        )


def _assignment_note(rule: CompiledRule) -> intake.SystemNote:
    if rule.co_department_names:
        return intake.SystemNote(
            gettext_noop("按规则“%(rule)s”分拨。协同部门：%(names)s。"),
            {"rule": rule.name, "names": "、".join(rule.co_department_names)},
        )
    return intake.SystemNote(gettext_noop("按规则“%(rule)s”分拨。"), {"rule": rule.name})


def _no_match_note(after_a_return: bool) -> intake.SystemNote:
    """Why the case waits for the command room: after a 退回 the rule that chose the returning
    department is skipped, which is not the same as no rule matching at all."""
    if after_a_return:
        return intake.SystemNote(
            gettext_noop("承办部门已退回，没有其他适用的分拨规则，等待指挥室重新派单。")
        )
    return intake.SystemNote(gettext_noop("没有匹配的分拨规则，等待指挥室派单。"))


def _record_return(case: intake.CaseSnapshot, at) -> None:
    """退回: the returning department's assignment ends, and the rule that chose it is marked
    so it is skipped from now on (only if that rule's department is the one returning)."""
    deadlines.record_returned(case.id, at)
    last = RoutingDecision.objects.filter(case_id=case.id).order_by("-pk").first()
    if last is not None and last.department_id == case.department_id:
        RoutingDecision.objects.filter(pk=last.pk).update(returned=True)
