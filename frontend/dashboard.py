"""The command-room screen (指挥室大屏) and the monthly report (月度考核): thin views.

Only a tenant's dispatchers and administrators see them, always for their own tenant (the
request runs in that tenant's scope, set by TenantScopeMiddleware).
"""

import csv
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from services import satisfaction
from services.directory import api as directory
from services.governance import api as governance
from services.intake import api as intake
from services.notify import api as notify

from . import dashboard_data as data
from . import dashboard_map
from .dashboard_live import layer_is_in_memory, may_watch

# Seconds between the page's catch-up polls: often when pushes cannot reach this process.
POLL_SECONDS_IN_MEMORY = 5
POLL_SECONDS_WITH_PUSH = 30
ALERTS_SHOWN = 10  # the newest unread; the whole list is one click away


def command_room(view: Callable) -> Callable:
    """Logged in, and a dispatcher or tenant administrator; the view gets their StaffInfo."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        staff = directory.staff_info(request.user)
        if not may_watch(staff):
            return render(
                request,
                "frontend/dashboard_denied.html",
                {"message": _("指挥室大屏和月度考核仅对本平台的指挥室调度员和平台管理员开放。")},
                status=403,
            )
        return view(request, staff, *args, **kwargs)

    return wrapper


@require_GET
@command_room
def dashboard(request: HttpRequest, staff: directory.StaffInfo) -> HttpResponse:
    tenant = directory.get_tenant(staff.tenant_id)
    context = {
        "tenant": tenant,
        "feed": data.feed(staff.tenant_id),
        "latest_id": intake.latest_case_id(staff.tenant_id),
        "poll_seconds": POLL_SECONDS_IN_MEMORY if layer_is_in_memory() else POLL_SECONDS_WITH_PUSH,
        "charts": data.chart_svgs(staff.tenant_id),
        "alerts": notify.unread_notifications(staff.user_id)[:ALERTS_SHOWN],
        "map": _live_map(request, staff),
        **data.panels(staff.tenant_id),
    }
    return _allow_tiles(render(request, "frontend/dashboard.html", context), context["map"])


def _allow_tiles(response: HttpResponse, shown: Any) -> HttpResponse:
    """Lets the page load the base map from the tenant's own tile server (off by default):
    that origin joins img-src for this response only."""
    if shown.get("tile_origin"):
        # django-csp reads this attribute of the response (its per-response update).
        response._csp_update = {"img-src": [shown["tile_origin"]]}  # type: ignore[attr-defined]
    return response


def _live_map(request: HttpRequest, staff: directory.StaffInfo) -> dict:
    """The command room's map: this month, the measure the screen chose (?map=)."""
    today = timezone.localdate()
    return dashboard_map.county_map(
        staff.tenant_id,
        dashboard_map.measure_choice(request.GET.get("map")),
        today.year,
        today.month,
        with_points=dashboard_map.may_see_points(staff),
    )


@require_GET
@command_room
def dashboard_map_fragment(request: HttpRequest, staff: directory.StaffInfo) -> HttpResponse:
    """The map alone, re-fetched with the panels when cases arrive or change."""
    shown = _live_map(request, staff)
    return _allow_tiles(render(request, "frontend/dashboard_map.html", {"map": shown}), shown)


@require_GET
@command_room
def dashboard_panels(request: HttpRequest, staff: directory.StaffInfo) -> HttpResponse:
    """The lists and counts alone, re-fetched by the page when cases arrive."""
    return render(request, "frontend/dashboard_panels.html", data.panels(staff.tenant_id))


@require_GET
@command_room
def dashboard_live(request: HttpRequest, staff: directory.StaffInfo) -> JsonResponse:
    """New cases after `after` (the newest the page has): the page's catch-up poll."""
    after = request.GET.get("after", "")
    after_id = int(after) if after.isdigit() else None
    cards = data.feed(staff.tenant_id, after_id)
    return JsonResponse(
        {
            "cases": [card.as_json() for card in cards],
            "latest": max([after_id or 0, *(card.id for card in cards)]),
        }
    )


def _month(request: HttpRequest) -> tuple[int, int]:
    """The month asked for; by default the current one (last month is a link away)."""
    value = request.GET.get("month") or request.POST.get("month")
    value = value or timezone.localdate().strftime("%Y-%m")
    try:
        year, month = (int(part) for part in value.split("-", 1))
    except ValueError:
        raise ValueError(_("月份格式应为 YYYY-MM，例如 2026-10。")) from None
    return year, month


@require_GET
@command_room
def monthly_report(request: HttpRequest, staff: directory.StaffInfo) -> HttpResponse:
    try:
        year, month = _month(request)
        report = data.monthly_report(staff.tenant_id, year, month)
        index = governance.index_report(staff.tenant_id, year, month)
    except ValueError as exc:
        return render(
            request,
            "frontend/dashboard_report.html",
            {"error": str(exc), "month_value": request.GET.get("month", "")},
            status=400,
        )
    measure = dashboard_map.measure_choice(
        request.GET.get("map"), dashboard_map.REPORT_DEFAULT_MEASURE
    )
    context = {
        "map": dashboard_map.county_map(
            staff.tenant_id,
            measure,
            year,
            month,
            with_points=dashboard_map.may_see_points(staff),
            month_points=True,
        ),
        "report": report,
        "index": index,
        "index_header": _index_header(index),
        "may_recompute": index.frozen and staff.can(directory.Capability.RECOMPUTE_INDEX),
        "may_enter": staff.can(directory.Capability.ENTER_INDEX_VALUES),
        "columns": [label for _key, label in data.REPORT_COLUMNS],
        "townships": data.report_table(report["townships"]),
        "departments": data.report_table(report["departments"]),
        "month_value": f"{year:04d}-{month:02d}",
        "previous_month": f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}",
        "tenant": directory.get_tenant(staff.tenant_id),
        "satisfied_meaning": satisfaction.satisfied_meaning(),
    }
    return _allow_tiles(render(request, "frontend/dashboard_report.html", context), context["map"])


def _index_header(index: governance.IndexReport) -> list[str]:
    header = [_("排名"), _("镇街"), _("治理指数"), _("环比变化"), _("名次变化")]
    for _level, name in index.columns:
        header += [name, _("%(name)s排名") % {"name": name}]
    return [*header, _("说明")]


def _index_table(index: governance.IndexReport) -> list[list]:
    rows = []
    for row in index.rows:
        cells = [row.rank, row.name, row.index, row.change, row.rank_change]
        for score, rank in row.parts:
            cells += [score, rank]
        rows.append([*cells, row.explanation])
    return rows


@require_POST
@command_room
def recompute_index(request: HttpRequest, staff: directory.StaffInfo) -> HttpResponse:
    """重新计算 a closed month's index: the command room or the administrator, with a reason."""
    if not staff.can(directory.Capability.RECOMPUTE_INDEX):
        return HttpResponse(status=403)
    try:
        year, month = _month(request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    try:
        governance.recompute(staff, year, month, request.POST.get("reason", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已重新计算并记录。"))
    return redirect(f"{reverse('frontend:dashboard-report')}?month={year:04d}-{month:02d}")


@command_room
def index_entries(request: HttpRequest, staff: directory.StaffInfo) -> HttpResponse:
    """月度填报: the month's staff-entered indicators for every township, on one sheet."""
    if not staff.can(directory.Capability.ENTER_INDEX_VALUES):
        return HttpResponse(status=403)
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    try:
        year, month = _month(request)
        sheet = governance.entry_sheet(staff.tenant_id, year, month)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = governance.save_entry_sheet(staff, year, month, request.POST)
        if not errors:
            messages.success(request, _("已保存。"))
            return redirect(f"{reverse('frontend:index-entries')}?month={year:04d}-{month:02d}")
    rows = [
        (
            name,
            [
                (
                    field := governance.entry_field_name(column.code, town),
                    request.POST.get(field, "") if errors else _number(value),
                    errors.get(field, ""),
                )
                for column, value in zip(sheet.columns, values, strict=True)
            ],
        )
        for town, name, values in sheet.rows
    ]
    context = {
        "sheet": sheet,
        "rows": rows,
        "closed": governance.is_closed(year, month),
        "month_value": f"{year:04d}-{month:02d}",
        "tenant": directory.get_tenant(staff.tenant_id),
    }
    return render(request, "frontend/index_entries.html", context, status=400 if errors else 200)


def _number(value: float | None) -> str:
    """A stored value as typed: 3 rather than 3.0."""
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


@require_GET
@command_room
def monthly_report_file(request: HttpRequest, staff: directory.StaffInfo, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        year, month = _month(request)
        report = data.monthly_report(staff.tenant_id, year, month)
        index = governance.index_report(staff.tenant_id, year, month)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    header = [str(label) for _key, label in data.REPORT_COLUMNS]
    sections = [
        (_("治理指数"), _index_header(index), _index_table(index)),
        (_("镇街"), header, data.report_table(report["townships"])),
        (_("部门"), header, data.report_table(report["departments"])),
    ]
    name = f"governance-{year:04d}-{month:02d}"
    if fmt == "xlsx":
        body = _xlsx(sections)
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for title, header, rows in sections:
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(_cells(row) for row in rows)
        writer.writerow([])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _cells(row: list) -> list:
    """Empty for unknown; names a spreadsheet would run as formulas kept as text."""
    return [_cell(value) for value in row]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


def _xlsx(sections: list[tuple[str, list[str], list[list]]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sections:
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(_cells(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
