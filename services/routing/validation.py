"""Checking a routing rule before it is saved (the admin's form calls this).

A rule is data typed by a tenant administrator, so every reference is checked against the
tenant: scenarios exist, a field condition names a field each of the rule's scenarios
declares, and departments, region and deadline policy are the tenant's own.
"""

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _

from services.intake import api as intake

from .conditions import FieldCondition
from .models.rules import CHANNEL_CHOICES


def split_words(text: str) -> list[str]:
    """ "欠薪，讨薪、 工资" → ["欠薪", "讨薪", "工资"]: commas (either width), 、 or new lines."""
    for sep in ("，", "、", "\n", "\r", ";", "；"):
        text = text.replace(sep, ",")
    return [w.strip() for w in text.split(",") if w.strip()]


def check_scenarios(tenant_id: int, codes: Iterable[str]) -> dict[str, set[str]]:
    """Each scenario's declared field names; ValidationError naming unknown codes."""
    fields, unknown = {}, []
    for code in codes:
        try:
            fields[code] = intake.scenario_field_names(tenant_id, code)
        except ObjectDoesNotExist:
            unknown.append(code)
    if unknown:
        raise ValidationError(
            {"scenario_codes": _("没有这些场景：%(codes)s") % {"codes": "、".join(unknown)}}
        )
    return fields


def check_conditions(
    scenario_fields: dict[str, set[str]], conditions: list[FieldCondition]
) -> None:
    """A condition on a field the scenario does not declare is refused (it could never hold)."""
    if conditions and not scenario_fields:
        raise ValidationError(
            {"field_conditions": _("场景字段条件只能用于指定了场景的规则，请先填写场景。")}
        )
    errors = []
    for condition in conditions:
        missing = sorted(c for c, names in scenario_fields.items() if condition.field not in names)
        if missing:
            errors.append(
                _("场景“%(codes)s”没有字段“%(field)s”，条件“%(cond)s”永远不会满足。")
                % {
                    "codes": "、".join(missing),
                    "field": condition.field,
                    "cond": condition.describe(),
                }
            )
    if errors:
        raise ValidationError({"field_conditions": errors})


def check_channels(channels: Iterable[str]) -> None:
    known = {code for code, _label in CHANNEL_CHOICES}
    unknown = [c for c in channels if c not in known]
    if unknown:
        raise ValidationError({"channels": _("未知渠道：%(c)s") % {"c": "、".join(unknown)}})


def check_same_tenant(tenant_id: int, **objects) -> None:
    """Departments, regions and policies chosen for a rule must be the rule's tenant's."""
    errors = {}
    for name, value in objects.items():
        items = value if isinstance(value, list | tuple | set) else [value]
        if any(item is not None and item.tenant_id != tenant_id for item in items):
            errors[name] = _("只能选择本平台的数据。")
    if errors:
        raise ValidationError(errors)


def check_co_departments(department, co_departments) -> None:
    if department is not None and any(d.pk == department.pk for d in co_departments):
        raise ValidationError({"co_departments": _("承办部门不能同时作为协同部门。")})
