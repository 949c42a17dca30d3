"""Loading and exporting a tenant's indicator set (指标体系) as JSON.

The file nests dimensions → sub_indexes → indicators; every item has a `code` (stable: staff-
entered values and the report refer to it), a `name`, a `weight` and optionally a `definition`;
an indicator adds `source` ("computed" with a `measure` from measures.MEASURES, or "entered")
and `direction` ("higher" / "lower"). Loading updates items by code and adds new ones; with
`prune`, items missing from the file are deleted (with their entered values). Closed months
keep the tree they were computed with.
"""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django_scopes import scopes_disabled

from .models import Indicator

DEFAULT_SET = Path(__file__).with_name("default_indicators.json")

Level = Indicator.Level
NESTING = (
    (Level.DIMENSION, "sub_indexes"),
    (Level.SUB_INDEX, "indicators"),
    (Level.INDICATOR, None),
)


def default_set() -> dict[str, Any]:
    return json.loads(DEFAULT_SET.read_text(encoding="utf-8"))


@transaction.atomic
def load(tenant_id: int, data: dict[str, Any], *, prune: bool = False) -> int:
    """Creates or updates the tenant's indicators from `data`; returns how many items it read.
    Raises ValidationError (nothing saved) when an item is not valid."""
    seen: set[str] = set()

    def save(item: dict[str, Any], depth: int, parent: Indicator | None, order: int) -> None:
        level, children_key = NESTING[depth]
        code = item["code"]
        if code in seen:
            raise ValidationError({"code": f"{code}: duplicate"})
        seen.add(code)
        node = Indicator.objects.filter(tenant_id=tenant_id, code=code).first() or Indicator(
            tenant_id=tenant_id, code=code
        )
        node.parent = parent
        node.level = level
        node.name = item["name"]
        node.definition = item.get("definition", "")
        node.weight = Decimal(str(item.get("weight", 1)))
        node.order = order
        node.source = item.get("source", "")
        node.measure = item.get("measure", "")
        node.direction = item.get("direction", Indicator.Direction.HIGHER)
        node.full_clean()
        node.save()
        for position, child in enumerate(item.get(children_key, []) if children_key else []):
            save(child, depth + 1, node, position)

    with scopes_disabled():
        for position, dimension in enumerate(data["dimensions"]):
            save(dimension, 0, None, position)
        if prune:
            # Leaves first: a parent's deletion would cascade anyway, but say what goes.
            Indicator.objects.filter(tenant_id=tenant_id).exclude(code__in=seen).delete()
    return len(seen)


def export(tenant_id: int) -> dict[str, Any]:
    """The tenant's indicator set in the format `load` reads."""
    with scopes_disabled():
        rows = list(Indicator.objects.filter(tenant_id=tenant_id).order_by("order", "pk"))
    children: dict[int | None, list[Indicator]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def item(node: Indicator, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {"code": node.code, "name": node.name, "weight": float(node.weight)}
        if node.definition:
            out["definition"] = node.definition
        _level, children_key = NESTING[depth]
        if children_key:
            out[children_key] = [item(c, depth + 1) for c in children.get(node.pk, [])]
        else:
            out.update(source=node.source, direction=node.direction)
            if node.measure:
                out["measure"] = node.measure
        return out

    return {"dimensions": [item(d, 0) for d in children.get(None, [])]}
