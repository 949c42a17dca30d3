"""Exporting the case inbox as it is filtered (导出): CSV streamed row by row, or Excel.

CSV never holds the list in memory, so a million rows stream at a steady pace; the page shows
progress as rows arrive (static/intake/case_export.js). Excel files are built whole (the
format is a zip), so they are capped at what Excel opens.

Cells are citizen input: any value a spreadsheet would run as a formula (=, +, -, @) is
written as text.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from services.directory import api as directory
from services.routing import api as routing

from ..reports import mask_phone
from ..states import CaseState

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
CHUNK = 2000

FIELDS = (
    "pk",
    "tracking_number",
    "scenario__name",
    "region__name",
    "place_label",
    "department__name",
    "state",
    "channel",
    "created_at",
    "reopen_count",
    "escalated",
    "reporter_phone",
    "tenant_id",
    "department_id",
    "intake_officer_id",
    "scenario__confidential",
    "description",
    "result",
    "rating",
)

COLOUR_LABELS = {"green": "绿", "yellow": "黄", "red": "红"}


@dataclass(frozen=True)
class Reader:
    """Who exports: the phone column follows the same rule as the case page
    (policy.sees_full_phone); the platform operator sees every number."""

    staff: directory.StaffInfo | None
    operator: bool = False

    def phone(self, record: dict) -> str:
        number = record["reporter_phone"]
        if not number or self.operator:
            return number or ""
        case = directory.CaseFacts(
            tenant_id=record["tenant_id"],
            department_id=record["department_id"],
            intake_officer_id=record["intake_officer_id"],
            confidential=record["scenario__confidential"],
        )
        if directory.policy.sees_full_phone(self.staff, case):
            return number
        return mask_phone(number) if directory.policy.reads_reporter(self.staff, case) else ""


def header() -> list[str]:
    return [
        _("受理编号"),
        _("场景"),
        _("区域"),
        _("地点"),
        _("承办部门"),
        _("状态"),
        _("时限预警"),
        _("渠道"),
        _("受理时间"),
        _("重办次数"),
        _("已督办"),
        _("联系电话"),
        _("问题描述"),
        _("办理结果"),
        _("满意度"),
    ]


def as_text(value: Any) -> str:
    """A cell value a spreadsheet shows as typed, never runs. Line breaks inside a cell become
    "\n" alone, so "\r\n" marks the end of a row (the page counts rows by it)."""
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@contextmanager
def tenant_scope(tenant_id: int | None):
    """Streaming runs after the request's scope has ended; rows are read in their own."""
    if tenant_id is None:
        with scopes_disabled():
            yield
    else:
        with scope(tenant=tenant_id):
            yield


def rows(queryset: QuerySet, tenant_id: int | None, reader: Reader) -> Iterator[list[str]]:
    """The export's rows in the list's order, read in chunks with their deadline colours."""
    states = dict(CaseState.choices)
    channels = dict(queryset.model.Channel.choices)
    with tenant_scope(tenant_id):
        chunk: list[dict] = []
        for record in queryset.values(*FIELDS).iterator(chunk_size=CHUNK):
            chunk.append(record)
            if len(chunk) == CHUNK:
                yield from _format(chunk, states, channels, reader)
                chunk = []
        yield from _format(chunk, states, channels, reader)


def _format(chunk: list[dict], states: dict, channels: dict, reader: Reader) -> Iterable[list[str]]:
    if not chunk:
        return []
    colours = routing.deadline_colours([r["pk"] for r in chunk])
    return [
        [
            as_text(v)
            for v in (
                r["tracking_number"],
                r["scenario__name"],
                r["region__name"],
                r["place_label"],
                r["department__name"],
                states.get(r["state"], r["state"]),
                COLOUR_LABELS.get(colours.get(r["pk"], ""), ""),
                channels.get(r["channel"], r["channel"]),
                timezone.localtime(r["created_at"]).strftime("%Y-%m-%d %H:%M"),
                r["reopen_count"],
                _("是") if r["escalated"] else "",
                reader.phone(r),
                r["description"],
                r["result"],
                r["rating"],
            )
        ]
        for r in chunk
    ]


class _Line:
    """A file-like the csv writer writes one line into."""

    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet, tenant_id: int | None, reader: Reader) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff"  # BOM: Excel then reads the Chinese as UTF-8
    yield writer.writerow(header())
    for row in rows(queryset, tenant_id, reader):
        yield writer.writerow(row)


def xlsx_file(queryset: QuerySet, tenant_id: int | None, reader: Reader) -> io.BufferedRandom:
    """The whole workbook in a temporary file (rewound), for a FileResponse to send."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("案件"))
    sheet.append(header())
    for row in rows(queryset[:XLSX_MAX_ROWS], tenant_id, reader):
        sheet.append(row)
    target = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    workbook.save(target)
    target.seek(0)
    return target
