"""Public interface of the governance index (治理指数): what the pages, the map, the demo
loader and the commands may call. One owner of the index: nobody else computes it."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scopes_disabled

from services.directory import api as directory

from . import entries, indicator_sets, results, texts
from .measures import MEASURES
from .models import EnteredValue, Indicator

__all__ = [
    "MEASURES",
    "EntrySheet",
    "IndexReport",
    "TownshipStanding",
    "default_indicator_set",
    "enter_value",
    "entry_field_name",
    "entry_sheet",
    "export_indicator_set",
    "freeze_month",
    "index_report",
    "is_closed",
    "load_indicator_set",
    "recompute",
    "save_entry_sheet",
    "township_index",
]

is_closed = results.is_closed
EntrySheet = entries.EntrySheet
entry_field_name = entries.field_name


def entry_sheet(tenant_id: int, year: int, month: int) -> EntrySheet:
    """The month's 月度填报 sheet: every staff-entered indicator × every township."""
    return entries.entry_sheet(tenant_id, year, month)


def save_entry_sheet(
    staff: directory.StaffInfo, year: int, month: int, posted: dict[str, str]
) -> dict[str, str]:
    """Stores a posted sheet for the staff member's tenant; errors by field (nothing stored
    then). PermissionDenied without the capability to enter index values."""
    if not staff.can(directory.Capability.ENTER_INDEX_VALUES):
        raise PermissionDenied
    return entries.save_entry_sheet(staff.tenant_id, year, month, posted, by_user_id=staff.user_id)


def township_index(tenant_id: int, year: int, month: int) -> dict[int, float]:
    """Township region id → the month's governance index (0–100), for the map and others.
    Townships the month gives no index (no data at all) are absent. A closed month's values
    are its frozen ones."""
    figures = results.month_result(tenant_id, year, month)
    return {int(t): v for t, v in figures["index"].items() if v is not None}


@dataclass(frozen=True)
class TownshipStanding:
    """One township's line of the report: index, rank, change, the parts and why."""

    township_id: int
    name: str
    index: float | None
    rank: int | None
    change: float | None  # index points against last month (None: no index either month)
    rank_change: int | None  # places gained (+) or lost (−) against last month
    parts: list[tuple[float | None, int | None]]  # (score, rank) per IndexReport.columns
    explanation: str

    @property
    def change_label(self) -> str:
        """ "+2.5", "-1.0", "0.0"; "—" without last month's index."""
        return "—" if self.change is None else f"{self.change:+.1f}".replace("+0.0", "0.0")

    @property
    def rank_moved(self) -> str:
        """ "↑2" (up two places), "↓1", "=" or "—"."""
        if self.rank_change is None:
            return "—"
        if self.rank_change == 0:
            return "="
        return f"↑{self.rank_change}" if self.rank_change > 0 else f"↓{-self.rank_change}"


@dataclass(frozen=True)
class IndexReport:
    year: int
    month: int
    frozen: bool  # a closed month's stored result; else live, changing as cases arrive
    computed_at: Any
    columns: list[tuple[str, str]]  # (level, name) of each dimension and sub-index
    rows: list[TownshipStanding]  # best first
    recomputations: list[dict[str, Any]]

    @property
    def configured(self) -> bool:
        return bool(self.columns)


def index_report(tenant_id: int, year: int, month: int) -> IndexReport:
    """The month's ranking by index and by each dimension and sub-index, with the change
    against last month and each township's explanation (in the active language)."""
    figures = results.month_result(tenant_id, year, month)
    previous = results.month_result(tenant_id, *results.previous_month(year, month))
    dimensions = [n for n in figures["nodes"] if n["level"] == "dimension"]
    parts = [
        node
        for dimension in dimensions
        for node in (
            dimension,
            *(n for n in figures["nodes"] if n["parent"] == dimension["code"]),
        )
    ]
    rows = []
    for town in figures["townships"]:
        key = str(town["id"])
        value = figures["index"].get(key)
        before = previous["index"].get(key)
        rank = figures["index_ranks"].get(key)
        rank_before = previous["index_ranks"].get(key)
        rows.append(
            TownshipStanding(
                township_id=town["id"],
                name=town["name"],
                index=value,
                rank=rank,
                change=round(value - before, 2)
                if value is not None and before is not None
                else None,
                rank_change=rank_before - rank if rank and rank_before else None,
                parts=[
                    (figures["scores"][n["code"]].get(key), figures["ranks"][n["code"]].get(key))
                    for n in parts
                ],
                explanation=texts.explanation(town["name"], value, figures["explanations"][key]),
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    return IndexReport(
        year=year,
        month=month,
        frozen=figures["frozen"],
        computed_at=parse_datetime(figures["computed_at"]),
        columns=[(n["level"], n["name"]) for n in parts],
        rows=rows,
        recomputations=[
            {
                "at": r.requested_at,
                "by": (r.requested_by.get_full_name() or r.requested_by.get_username())
                if r.requested_by
                else "",
                "reason": r.reason,
            }
            for r in results.recomputations(tenant_id, year, month)
        ],
    )


def freeze_month(tenant_id: int, year: int, month: int) -> None:
    """Stores a closed month's result now if it has none (the scheduled run does this)."""
    results.freeze(tenant_id, year, month)


def recompute(staff: directory.StaffInfo, year: int, month: int, reason: str) -> None:
    """重新计算 a closed month, recorded (who, when, why). PermissionDenied without the
    capability; ValueError for an open month or an empty reason."""
    if not staff.can(directory.Capability.RECOMPUTE_INDEX):
        raise PermissionDenied
    results.recompute(staff.tenant_id, year, month, by_user_id=staff.user_id, reason=reason)


@transaction.atomic
def enter_value(
    tenant_id: int,
    indicator_code: str,
    township_id: int,
    year: int,
    month: int,
    value: float,
    *,
    by_user_id: int | None = None,
    note: str = "",
) -> None:
    """Records (or corrects) a staff-entered monthly value (人工填报) of one township."""
    with scopes_disabled():
        indicator = Indicator.objects.get(
            tenant_id=tenant_id, code=indicator_code, source=Indicator.Source.ENTERED
        )
        township = directory.get_region(tenant_id, township_id)
        EnteredValue.objects.update_or_create(
            indicator=indicator,
            township_id=township.id,
            year=year,
            month=month,
            defaults={
                "tenant_id": tenant_id,
                "value": value,
                "note": note,
                "entered_by_id": by_user_id,
                "entered_at": timezone.now(),
            },
        )


def load_indicator_set(tenant_id: int, data: dict[str, Any], *, prune: bool = False) -> int:
    """Creates/updates the tenant's indicator tree from the JSON format of indicator_sets."""
    return indicator_sets.load(tenant_id, data, prune=prune)


def export_indicator_set(tenant_id: int) -> dict[str, Any]:
    return indicator_sets.export(tenant_id)


def default_indicator_set() -> dict[str, Any]:
    """The indicator set the demo ships (three dimensions), as JSON data."""
    return indicator_sets.default_set()
