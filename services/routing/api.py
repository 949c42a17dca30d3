"""Public interface of routing."""

from django.db import transaction

from .models import RoutingRule

__all__ = ["create_rule"]


@transaction.atomic
def create_rule(
    tenant, name: str, department, *, scenario_codes: list[str], order: int = 100
) -> RoutingRule:
    return RoutingRule.objects.create(
        tenant=tenant,
        name=name,
        department=department,
        scenario_codes=scenario_codes,
        order=order,
    )
