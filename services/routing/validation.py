"""Checking a routing rule before it is saved (the admin's form calls this).

A rule is data typed by a tenant administrator, so every reference is checked against the
tenant: scenarios exist, a field condition names a field each of the rule's scenarios
declares, and departments, region and deadline policy are the tenant's own.
"""

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet
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


def check_working_hours(day_start, day_end, weekend_days) -> None:
    """A calendar must open before it closes and keep at least one weekday for work."""
    errors = {}
    if day_start is not None and day_end is not None and day_end <= day_start:
        errors["day_end"] = _("下班时间必须晚于上班时间。")
    days = weekend_days if isinstance(weekend_days, list) else None
    if days is None or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        errors["weekend_days"] = _("周休日应为 1 到 7 之间的整数列表，例如 [6, 7]。")
    elif len(set(days)) == 7:
        errors["weekend_days"] = _("不能把一周七天都设为周休日。")
    if errors:
        raise ValidationError(errors)


def check_policy_scope(
    tenant_id: int, scenario_code: str, is_default: bool, others: QuerySet
) -> None:
    """A policy is a scenario's, or the tenant default, or only for rules; one of each kind.

    `others` are the tenant's other policies (the one being edited excluded).
    """
    if scenario_code and is_default:
        raise ValidationError({"is_default": _("平台默认时限不能同时指定适用场景，请二选一。")})
    if scenario_code:
        try:
            check_scenarios(tenant_id, [scenario_code])
        except ValidationError as exc:
            raise ValidationError({"scenario_code": exc.message_dict["scenario_codes"]}) from exc
        taken = others.filter(scenario_code=scenario_code).first()
        if taken is not None:
            raise ValidationError(
                {"scenario_code": _("该场景已有办理时限“%(name)s”。") % {"name": taken.name}}
            )
    if is_default:
        taken = others.filter(is_default=True).first()
        if taken is not None:
            raise ValidationError(
                {"is_default": _("平台默认时限已是“%(name)s”，请先取消它。") % {"name": taken.name}}
            )


def check_calendar_day_free(others: QuerySet, day) -> None:
    """One entry per date: `others` are the tenant's other listed days."""
    taken = others.filter(date=day).first()
    if taken is not None:
        raise ValidationError(
            {
                "date": _("%(date)s 已登记为“%(kind)s”。")
                % {"date": day, "kind": taken.get_kind_display()}
            }
        )
