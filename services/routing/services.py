"""Choosing a department for a case."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from services.intake import api as intake

from .models import RoutingDecision, RoutingRule

logger = logging.getLogger(__name__)


def matches(rule: RoutingRule, case: intake.CaseSnapshot) -> bool:
    return not rule.scenario_codes or case.scenario_code in rule.scenario_codes


def first_match(
    rules: list[RoutingRule], case: intake.CaseSnapshot, skip: set[int]
) -> RoutingRule | None:
    return next((r for r in rules if r.pk not in skip and matches(r, case)), None)


def route_case(case_id: int, *, after_return: bool = False) -> RoutingDecision | None:
    """分拨: assigns the case by the first matching rule, or holds it for manual dispatch.

    Runs inside the case's tenant scope (the event bus sets it), so only that tenant's rules
    are seen. Idempotent: a case that is no longer waiting for routing is left alone. A rule whose
    department returned (退回) the case is skipped, so the case never bounces straight back.
    """
    with transaction.atomic():
        case = intake.get_case(case_id)
        if case.state != intake.CaseState.SUBMITTED:
            logger.info("Case %s not routed: state is %s", case_id, case.state)
            return None
        if after_return:
            _mark_last_decision_returned(case_id)
        returned_rules = set(
            RoutingDecision.objects.filter(case_id=case_id, returned=True)
            .exclude(rule=None)
            .values_list("rule_id", flat=True)
        )
        rules = list(RoutingRule.objects.filter(active=True))
        rule = first_match(rules, case, returned_rules)
        if rule is None:
            intake.hold_for_dispatch(case_id, _("没有匹配的分拨规则，等待指挥室派单。"))
            return RoutingDecision.objects.create(
                tenant_id=case.tenant_id,
                case_id=case_id,
                outcome=RoutingDecision.Outcome.NO_MATCH,
            )
        intake.assign(
            case_id, rule.department_id, _("按规则“%(rule)s”分拨。") % {"rule": rule.name}
        )
        return RoutingDecision.objects.create(
            tenant_id=case.tenant_id,
            case_id=case_id,
            rule=rule,
            department_id=rule.department_id,
            outcome=RoutingDecision.Outcome.ASSIGNED,
        )


def _mark_last_decision_returned(case_id: int) -> None:
    """退回: remembers that the last routed department gave the case back."""
    last = RoutingDecision.objects.filter(case_id=case_id).order_by("-pk").first()
    if last is not None:
        RoutingDecision.objects.filter(pk=last.pk).update(returned=True)
