"""The monthly entry sheet (月度填报): every staff-entered indicator × every township of one
month on one page, as the command room fills it in from the month's checks."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from services.directory import api as directory

from .models import EnteredValue, Indicator
from .results import check_month


@dataclass(frozen=True)
class SheetColumn:
    code: str
    name: str
    definition: str


@dataclass(frozen=True)
class EntrySheet:
    year: int
    month: int
    columns: list[SheetColumn]
    # (township id, name, [value per column]); None where nothing is entered yet
    rows: list[tuple[int, str, list[float | None]]]


def entry_sheet(tenant_id: int, year: int, month: int) -> EntrySheet:
    check_month(year, month)
    with scopes_disabled():
        indicators = list(
            Indicator.objects.filter(
                tenant_id=tenant_id,
                level=Indicator.Level.INDICATOR,
                source=Indicator.Source.ENTERED,
            ).order_by("parent__parent__order", "parent__order", "order", "pk")
        )
        entered = {
            (code, town): value
            for code, town, value in EnteredValue.objects.filter(
                tenant_id=tenant_id, year=year, month=month
            ).values_list("indicator__code", "township_id", "value")
        }
    columns = [SheetColumn(i.code, i.name, i.definition) for i in indicators]
    rows = [
        (town, name, [entered.get((c.code, town)) for c in columns])
        for town, name in directory.townships(tenant_id).items()
    ]
    return EntrySheet(year, month, columns, rows)


def field_name(code: str, township_id: int) -> str:
    return f"v-{code}-{township_id}"


@transaction.atomic
def save_entry_sheet(
    tenant_id: int, year: int, month: int, posted: dict[str, str], *, by_user_id: int
) -> dict[str, str]:
    """Stores the sheet's values (a blank field removes that value); returns the errors by
    field name, and stores nothing when there is any."""
    sheet = entry_sheet(tenant_id, year, month)
    values: dict[tuple[str, int], float | None] = {}
    errors: dict[str, str] = {}
    for town, _name, _values in sheet.rows:
        for column in sheet.columns:
            key = field_name(column.code, town)
            raw = posted.get(key, "").strip()
            try:
                values[(column.code, town)] = float(raw) if raw else None
            except ValueError:
                errors[key] = _("请输入数字。")
    if errors:
        return errors
    now = timezone.now()
    with scopes_disabled():
        indicators = {
            i.code: i for i in Indicator.objects.filter(tenant_id=tenant_id, source="entered")
        }
        for (code, town), value in values.items():
            match = EnteredValue.objects.filter(
                indicator=indicators[code], township_id=town, year=year, month=month
            )
            if value is None:
                match.delete()
                continue
            existing = match.first()
            if existing is not None and existing.value == value:
                continue  # unchanged: keep who entered it and when
            EnteredValue.objects.update_or_create(
                indicator=indicators[code],
                township_id=town,
                year=year,
                month=month,
                defaults={
                    "tenant_id": tenant_id,
                    "value": value,
                    "entered_by_id": by_user_id,
                    "entered_at": now,
                },
            )
    return {}
