"""Public interface of intake: what other services and the pages may call.

Other services get plain snapshots, never intake's model instances.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django_scopes import scope, scopes_disabled

from .builtin_scenarios import install_builtin_scenarios
from .models import Case, EntryPoint, Scenario
from .qr import entry_point_url, qr_svg
from .services import (
    CaseConflict,
    SubmissionInvalid,
    available_transitions,
    escalate,
    record_note,
    submission_form,
    submit,
    transition,
)
from .states import CaseState

__all__ = [
    "CaseConflict",
    "CaseSnapshot",
    "CaseState",
    "EntryPointView",
    "SubmissionInvalid",
    "add_timeline_note",
    "assign",
    "available_transitions",
    "case_by_access_key",
    "case_counts",
    "create_entry_point",
    "entry_point",
    "entry_point_qr_svg",
    "entry_point_tokens",
    "entry_point_url",
    "get_case",
    "hold_for_dispatch",
    "install_builtin_scenarios",
    "mark_escalated",
    "public_timeline",
    "register_scan",
    "scenario_field_names",
    "submission_form",
    "submit_via_entry_point",
    "take_transition",
]


@dataclass(frozen=True)
class CaseSnapshot:
    id: int
    tenant_id: int
    tracking_number: str
    access_key: str
    scenario_code: str
    scenario_name: str
    region_id: int | None
    region_path: str
    channel: str
    priority: int
    description: str
    extra: dict[str, Any]
    state: str
    state_label: str
    department_id: int | None
    reporter_phone: str
    reopen_count: int
    result: str
    rating: int | None


def _snapshot(case: Case) -> CaseSnapshot:
    return CaseSnapshot(
        id=case.pk,
        tenant_id=case.tenant_id,
        tracking_number=case.tracking_number,
        access_key=case.access_key,
        scenario_code=case.scenario.code,
        scenario_name=case.scenario.name,
        region_id=case.region_id,
        region_path=case.region.path if case.region else "",
        channel=case.channel,
        priority=case.priority,
        description=case.description,
        extra=dict(case.extra),
        state=case.state,
        state_label=case.get_state_display(),
        department_id=case.department_id,
        reporter_phone=case.reporter_phone,
        reopen_count=case.reopen_count,
        result=case.result,
        rating=case.rating,
    )


def _load(case_id: int) -> Case:
    with scopes_disabled():
        return Case.objects.select_related("scenario", "region").get(pk=case_id)


def get_case(case_id: int) -> CaseSnapshot:
    return _snapshot(_load(case_id))


def case_by_access_key(access_key: str) -> CaseSnapshot | None:
    """The case behind a citizen's private link, or None."""
    with scopes_disabled():
        case = (
            Case.objects.select_related("scenario", "region").filter(access_key=access_key).first()
        )
    return _snapshot(case) if case else None


def public_timeline(case_id: int) -> list[dict[str, Any]]:
    """What the citizen may see: states and public notes, never staff names or internal notes."""
    case = _load(case_id)
    labels = dict(CaseState.choices)
    return [
        {"at": e.at, "state": labels.get(e.to_state, ""), "note": e.note}
        for e in case.timeline.filter(public=True)
    ]


@dataclass(frozen=True)
class EntryPointView:
    """An entry point as the phone page needs it."""

    token: str
    active: bool
    tenant_id: int
    tenant_name: str
    tenant_hotline: str
    scenario: Scenario
    place_label: str


def entry_point(token: str) -> EntryPointView | None:
    with scopes_disabled():
        ep = (
            EntryPoint.objects.select_related("tenant", "scenario__tenant")
            .filter(token=token)
            .first()
        )
    if ep is None:
        return None
    return EntryPointView(
        token=ep.token,
        active=ep.active and ep.scenario.active,
        tenant_id=ep.tenant_id,
        tenant_name=ep.tenant.name,
        tenant_hotline=ep.tenant.hotline,
        scenario=ep.scenario,
        place_label=ep.place_label,
    )


def register_scan(token: str) -> None:
    """Counts a scan; nothing about the scanner is stored."""
    with scopes_disabled():
        EntryPoint.objects.filter(token=token).update(scan_count=F("scan_count") + 1)


def submit_via_entry_point(
    token: str, data: Any, *, channel: str = Case.Channel.QR
) -> CaseSnapshot:
    """A citizen's submission through a QR code. Raises SubmissionInvalid or LookupError."""
    with scopes_disabled():
        ep = (
            EntryPoint.objects.select_related("scenario__tenant")
            .filter(token=token, active=True, scenario__active=True)
            .first()
        )
    if ep is None:
        raise LookupError(token)
    with scope(tenant=ep.tenant_id):
        case = submit(ep.scenario, data, channel=channel, entry_point=ep)
    return get_case(case.pk)


def assign(case_id: int, department_id: int, note: str, *, by=None) -> CaseSnapshot:
    """分拨 by the system (a rule) or 派单/改派 by a dispatcher (`by`)."""
    with transaction.atomic():
        case = _load(case_id)
        name = {"submitted": "route", "needs_dispatch": "dispatch"}.get(case.state, "reassign")
        transition(case, name, by=by, note=note, department_id=department_id)
    return get_case(case_id)


def hold_for_dispatch(case_id: int, note: str) -> CaseSnapshot:
    transition(_load(case_id), "hold_for_dispatch", note=note)
    return get_case(case_id)


def take_transition(case_id: int, name: str, user, note: str = "", **changes: Any) -> CaseSnapshot:
    """A staff member's transition (签收, 办结, 退回 …). See services.transition for errors."""
    transition(_load(case_id), name, by=user, note=note, **changes)
    return get_case(case_id)


def entry_point_qr_svg(token: str) -> bytes:
    return qr_svg(entry_point_url(token))


def create_entry_point(
    tenant, scenario: Scenario, place_label: str = "", region=None
) -> EntryPoint:
    return EntryPoint.objects.create(
        tenant=tenant, scenario=scenario, place_label=place_label, region=region
    )


def entry_point_tokens(tenant_id: int) -> list[tuple[str, str]]:
    """(token, label) of a tenant's active entry points."""
    with scopes_disabled():
        return [
            (ep.token, str(ep))
            for ep in EntryPoint.objects.filter(tenant_id=tenant_id, active=True)
            .select_related("scenario")
            .order_by("pk")
        ]


def scenario_field_names(tenant_id: int, scenario_code: str) -> set[str]:
    """The extra fields a scenario declares (for validating routing conditions)."""
    with scopes_disabled():
        return set(
            Scenario.objects.get(tenant_id=tenant_id, code=scenario_code).fields.values_list(
                "name", flat=True
            )
        )


def mark_escalated(case_id: int, note: str) -> bool:
    """督办 by the system (e.g. a deadline turned red): once per case; False if already."""
    return escalate(_load(case_id), note)


def add_timeline_note(
    case_id: int, action: str, note: str, *, by=None, public: bool = False
) -> None:
    """A timeline row that changes no state (e.g. a deadline extension approved)."""
    record_note(_load(case_id), action=action, note=note, by=by, public=public)


def case_counts() -> dict[tuple[int, str], int]:
    """Cases ever submitted, by (tenant id, scenario code), all tenants: for operators' metrics."""
    with scopes_disabled():
        rows = Case.objects.values("tenant_id", "scenario__code").annotate(n=Count("id")).order_by()
        return {(row["tenant_id"], row["scenario__code"]): row["n"] for row in rows}
