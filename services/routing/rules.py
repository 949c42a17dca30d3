"""Evaluating routing rules: compiled once per change, matched in Python, explained on demand.

A tenant's rules are read once into plain `CompiledRule` values and kept in the process until
the tenant's routing configuration changes (services/routing/config.py: one primary-key read
tells), so routing a case costs a walk over in-memory values however many rules there are.
"""

import logging
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext as _

from .conditions import FieldCondition, from_data
from .models import RoutingRule

logger = logging.getLogger(__name__)


class Routable(Protocol):
    """What rules look at: intake's CaseSnapshot, or a sample typed into the "try it" page
    (read-only properties, so frozen dataclasses satisfy it)."""

    @property
    def scenario_code(self) -> str: ...
    @property
    def region_path(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def description(self) -> str: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    @property
    def latitude(self) -> float | None: ...  # where it happened, for 就近派遣
    @property
    def longitude(self) -> float | None: ...


@dataclass(frozen=True)
class SampleCase:
    scenario_code: str
    region_path: str = ""
    channel: str = "qr"
    priority: int = 0
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class CompiledRule:
    pk: int
    name: str
    order: int
    active: bool
    scenarios: frozenset[str]
    region_path: str
    region_name: str
    channels: frozenset[str]
    priority: int | None
    keywords: tuple[str, ...]
    conditions: tuple[FieldCondition, ...]
    department_id: int
    co_department_ids: tuple[int, ...]
    co_department_names: tuple[str, ...]
    set_priority: int | None
    policy_id: int | None
    nearest_km: float | None = None  # 就近派遣 within this radius (services/routing/nearest.py)

    def holds(self, case: Routable) -> bool:
        """All conditions hold (the fast path: no explanations built)."""
        return (
            (not self.scenarios or case.scenario_code in self.scenarios)
            and (not self.region_path or case.region_path.startswith(self.region_path))
            and (not self.channels or case.channel in self.channels)
            and (self.priority is None or case.priority == self.priority)
            and (not self.keywords or any(k in case.description for k in self.keywords))
            and all(c.holds(case.extra) for c in self.conditions)
        )

    def failures(self, case: Routable) -> list[str]:
        """Why the rule does not match the case, one reason per failed condition (试运行)."""
        reasons = []
        if self.scenarios and case.scenario_code not in self.scenarios:
            reasons.append(
                _("场景“%(have)s”不在规则场景（%(want)s）之内")
                % {"have": case.scenario_code, "want": "、".join(sorted(self.scenarios))}
            )
        if self.region_path and not case.region_path.startswith(self.region_path):
            reasons.append(
                _("案件区域不在“%(region)s”及其下级范围内") % {"region": self.region_name}
                if case.region_path
                else _("案件未指定区域，规则要求“%(region)s”") % {"region": self.region_name}
            )
        if self.channels and case.channel not in self.channels:
            reasons.append(
                _("渠道“%(have)s”不符（规则要求：%(want)s）")
                % {"have": case.channel, "want": "、".join(sorted(self.channels))}
            )
        if self.priority is not None and case.priority != self.priority:
            reasons.append(
                _("优先级 %(have)s 不符（规则要求：%(want)s）")
                % {"have": case.priority, "want": self.priority}
            )
        if self.keywords and not any(k in case.description for k in self.keywords):
            reasons.append(
                _("问题描述不含任何关键词：%(words)s") % {"words": "、".join(self.keywords)}
            )
        for condition in self.conditions:
            if not condition.holds(case.extra):
                have = case.extra.get(condition.field)
                reasons.append(
                    _("场景字段条件不满足：%(cond)s（案件值：%(have)s）")
                    % {
                        "cond": condition.describe(),
                        "have": _("未填写") if have in (None, "") else have,
                    }
                )
        return reasons


def compile_rule(rule: RoutingRule) -> CompiledRule:
    """Needs `region` selected and `co_departments` prefetched to stay query-free."""
    co_departments = sorted(rule.co_departments.all(), key=lambda d: d.pk)
    return CompiledRule(
        pk=rule.pk,
        name=rule.name,
        order=rule.order,
        active=rule.active,
        scenarios=frozenset(rule.scenario_codes or ()),
        region_path=rule.region.path if rule.region is not None else "",
        region_name=rule.region.name if rule.region is not None else "",
        channels=frozenset(rule.channels or ()),
        priority=rule.priority,
        keywords=tuple(k for k in (rule.keywords or ()) if k),
        conditions=tuple(from_data(rule.field_conditions)),
        department_id=rule.department_id,
        co_department_ids=tuple(d.pk for d in co_departments),
        co_department_names=tuple(d.name for d in co_departments),
        set_priority=rule.set_priority,
        policy_id=rule.deadline_policy_id,
        nearest_km=rule.nearest_officer_km,
    )


def load_rules(tenant_id: int, *, include_inactive: bool = False) -> list[CompiledRule]:
    """The tenant's rules in matching order, compiled (two queries)."""
    rules = (
        RoutingRule.objects.filter(tenant_id=tenant_id)
        .select_related("region")
        .prefetch_related("co_departments")
    )
    if not include_inactive:
        rules = rules.filter(active=True)
    return [compile_rule(r) for r in rules.order_by("order", "pk")]


def first_match(
    rules: list[CompiledRule], case: Routable, skip: AbstractSet[int] = frozenset()
) -> CompiledRule | None:
    """分拨规则按顺序匹配: the first rule not skipped whose conditions all hold."""
    return next((r for r in rules if r.pk not in skip and r.holds(case)), None)


@dataclass(frozen=True)
class Verdict:
    rule: CompiledRule
    matched: bool
    reasons: list[str]


def explain(
    rules: list[CompiledRule], case: Routable, skip: AbstractSet[int] = frozenset()
) -> list[Verdict]:
    """Every rule up to the first match, each with why it did or did not apply (试运行)."""
    verdicts = []
    for rule in rules:
        reasons = []
        if not rule.active:
            reasons.append(_("规则未启用"))
        if rule.pk in skip:
            reasons.append(_("该规则分拨的部门已退回此案件，本次跳过"))
        reasons += rule.failures(case)
        verdicts.append(Verdict(rule, not reasons, reasons))
        if not reasons:
            break
    return verdicts
