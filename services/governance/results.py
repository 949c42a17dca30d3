"""A month's result: computed live while the month runs, frozen once it has closed.

`month_result` is what every reader asks. For a closed month it returns the stored result
(MonthlyResult), freezing it on first ask if the scheduled run on the 1st has not yet; after
that, new cases or changed weights do not change it. `recompute` replaces it on purpose, and
records who did it, when, why, and what the indexes were before and after.
"""

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from services.directory import api as directory

from . import index
from .measures import MEASURES, MonthFigures
from .models import EnteredValue, Indicator, MonthlyResult, Recomputation

logger = logging.getLogger(__name__)


def check_month(year: int, month: int) -> None:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise ValueError(_("请选择有效的年份和月份。"))


def is_closed(year: int, month: int, today: dt.date | None = None) -> bool:
    """A month is closed (已结束) once the platform's calendar has left it."""
    today = today or timezone.localdate()
    return (year, month) < (today.year, today.month)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def indicator_nodes(tenant_id: int) -> list[index.Node]:
    """The tenant's indicator tree as the computation reads it, parents before children."""
    with scopes_disabled():
        rows = list(
            Indicator.objects.filter(tenant_id=tenant_id)
            .select_related("parent")
            .order_by("order", "pk")
        )
    order: dict[str, int] = {
        Indicator.Level.DIMENSION: 0,
        Indicator.Level.SUB_INDEX: 1,
        Indicator.Level.INDICATOR: 2,
    }
    rows.sort(key=lambda r: order[r.level])
    return [
        index.Node(
            code=r.code,
            name=r.name,
            level=r.level,
            weight=float(r.weight),
            parent=r.parent.code if r.parent else None,
            direction=r.direction,
            source=r.source,
            measure=r.measure,
        )
        for r in rows
    ]


def raw_values(
    tenant_id: int, year: int, month: int, nodes: list[index.Node], towns: list[int]
) -> dict[str, dict[int, float | None]]:
    """Each indicator's value per township: a measure of the case data, or what staff entered."""
    figures = MonthFigures(tenant_id, year, month)
    with scopes_disabled():
        entered: dict[str, dict[int, float]] = {}
        for code, town, value in EnteredValue.objects.filter(
            tenant_id=tenant_id, year=year, month=month
        ).values_list("indicator__code", "township_id", "value"):
            entered.setdefault(code, {})[town] = value
    raw: dict[str, dict[int, float | None]] = {}
    for node in nodes:
        if node.level != index.INDICATOR:
            continue
        if node.source == Indicator.Source.ENTERED:
            raw[node.code] = {t: entered.get(node.code, {}).get(t) for t in towns}
        elif node.measure in MEASURES:
            measure = MEASURES[node.measure].compute
            raw[node.code] = {t: measure(figures, t) for t in towns}
        else:
            raw[node.code] = dict.fromkeys(towns)
    return raw


def compute(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """The month's index from the data as it stands now (stores nothing)."""
    check_month(year, month)
    townships = directory.townships(tenant_id)
    nodes = indicator_nodes(tenant_id)
    result = index.compute(
        nodes, townships, raw_values(tenant_id, year, month, nodes, list(townships))
    )
    result.update(year=year, month=month, computed_at=timezone.now().isoformat())
    return result


def stored(tenant_id: int, year: int, month: int) -> MonthlyResult | None:
    with scopes_disabled():
        return MonthlyResult.objects.filter(tenant_id=tenant_id, year=year, month=month).first()


def freeze(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """Stores a closed month's result if it has none yet; returns the stored one."""
    if not is_closed(year, month):
        raise ValueError(_("本月尚未结束，不能冻结。"))
    existing = stored(tenant_id, year, month)
    if existing is not None:
        return existing.figures
    figures = compute(tenant_id, year, month)
    try:
        with transaction.atomic(), scopes_disabled():
            MonthlyResult.objects.create(
                tenant_id=tenant_id,
                year=year,
                month=month,
                computed_at=timezone.now(),
                figures=figures,
            )
    except IntegrityError:  # frozen meanwhile by another request or the scheduled run
        frozen = stored(tenant_id, year, month)
        if frozen is None:  # the conflict was not that row: let it stand
            raise
        return frozen.figures
    logger.info("Governance index frozen: tenant %s, %04d-%02d", tenant_id, year, month)
    return figures


def month_result(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """What the report shows: the frozen result of a closed month, the live one otherwise.
    `frozen` says which."""
    check_month(year, month)
    if is_closed(year, month):
        return {**freeze(tenant_id, year, month), "frozen": True}
    return {**compute(tenant_id, year, month), "frozen": False}


def recompute(
    tenant_id: int, year: int, month: int, *, by_user_id: int, reason: str
) -> Recomputation:
    """重新计算: replaces a closed month's result with one from the data as it stands now
    (late entries, corrected cases), recorded with who, when, why, before and after."""
    check_month(year, month)
    reason = reason.strip()
    if not reason:
        raise ValueError(_("请填写重新计算的原因。"))
    if not is_closed(year, month):
        raise ValueError(_("本月尚未结束，指数随时更新，无须重新计算。"))
    figures = compute(tenant_id, year, month)
    with transaction.atomic(), scopes_disabled():
        result = (
            MonthlyResult.objects.select_for_update()
            .filter(tenant_id=tenant_id, year=year, month=month)
            .first()
        )
        before = result.figures["index"] if result else {}
        if result is None:
            result = MonthlyResult(tenant_id=tenant_id, year=year, month=month)
        result.figures = figures
        result.computed_at = timezone.now()
        result.save()
        return Recomputation.objects.create(
            tenant_id=tenant_id,
            year=year,
            month=month,
            requested_by_id=by_user_id,
            reason=reason,
            before=before,
            after=figures["index"],
        )


def recomputations(tenant_id: int, year: int, month: int) -> list[Recomputation]:
    with scopes_disabled():
        return list(
            Recomputation.objects.filter(tenant_id=tenant_id, year=year, month=month)
            .select_related("requested_by")
            .order_by("-requested_at")
        )


def freeze_previous_month(today: dt.date | None = None) -> int:
    """The scheduled run: every tenant's previous month frozen if not yet; how many were."""
    today = today or timezone.localdate()
    year, month = previous_month(today.year, today.month)
    frozen = 0
    for tenant_id in directory.tenant_ids():
        if stored(tenant_id, year, month) is None:
            freeze(tenant_id, year, month)
            frozen += 1
    return frozen
