"""Public interface of intake: what other services and the pages may call.

Other services get plain snapshots, never intake's model instances.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django_scopes import scope, scopes_disabled

from . import access, catalog, handling, honeypot, retention
from .builtin_scenarios import install_builtin_scenarios
from .models import Case, EntryPoint, EntryPointScan, ResultFile, Scenario
from .partners import (  # what partner systems (Open311) read: scenarios, cases sans reporter
    MAX_TRACKING_NUMBERS,
    CaseFilter,
    PartnerCase,
    ScenarioFieldView,
    ScenarioView,
    partner_cases,
    published_scenarios,
)
from .qr import entry_point_url, qr_png, qr_svg
from .reports import (  # the command room's and the monthly report's reads (报表)
    CaseCard,
    CasePoint,
    case_cards,
    case_points,
    counts_since,
    daily_counts_by_scenario,
    latest_case_id,
    mask_phone,
    monthly_case_figures,
    open_case_count,
    open_cases_by_township,
    satisfaction_by_township,
    township_month_activity,
)
from .result_files import file_response
from .states import CaseState, EscalationCause
from .timeline import PUBLIC_NOTE_ACTIONS, Note, SystemNote
from .workflow import (
    CaseConflict,
    StaleVersion,
    SubmissionInvalid,
    available_transitions,
    case_version,
    escalate,
    record_note,
    resolve,
    submission_form,
    submit,
    transition,
    transition_at_version,
)

__all__ = [
    "HONEYPOT_FIELD",
    "MAX_TRACKING_NUMBERS",
    "CaseCard",
    "CaseConflict",
    "CaseFilter",
    "CasePoint",
    "CaseSnapshot",
    "CaseState",
    "EntryPointView",
    "EscalationCause",
    "Note",
    "PartnerCase",
    "ResultFileView",
    "ScenarioFieldView",
    "ScenarioView",
    "StaleVersion",
    "SubmissionInvalid",
    "SystemNote",
    "add_timeline_note",
    "anonymise_case",
    "assign",
    "available_transitions",
    "case_by_access_key",
    "case_cards",
    "case_counts",
    "case_points",
    "case_version",
    "cases_by_phone",
    "cases_by_tracking_and_phone",
    "cases_due_for_anonymisation",
    "caught_by_honeypot",
    "citizen_result_file",
    "co_handled_case_ids",
    "co_handler_ids",
    "counts_since",
    "create_entry_point",
    "daily_counts_by_scenario",
    "entry_point",
    "entry_point_counts",
    "entry_point_form",
    "entry_point_qr_png",
    "entry_point_qr_svg",
    "entry_point_tokens",
    "entry_point_url",
    "get_case",
    "hold_for_dispatch",
    "install_builtin_scenarios",
    "latest_case_id",
    "mark_confidential",
    "mark_escalated",
    "mask_phone",
    "monthly_case_figures",
    "open_case_count",
    "open_cases_by_township",
    "partner_cases",
    "public_result_files",
    "public_timeline",
    "published_scenarios",
    "register_scan",
    "rehash_phones",
    "resolve_case",
    "satisfaction_by_township",
    "scenario_field_names",
    "staff_case",
    "staff_scenarios",
    "staff_submission_form",
    "submit_for_partner",
    "submit_for_staff",
    "submit_via_entry_point",
    "take_transition",
    "take_transition_at_version",
    "township_month_activity",
    "without_honeypot",
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
    place_label: str = ""
    reporter_name: str = ""
    created_at: datetime | None = None
    promise_days: int = 5
    intake_officer_id: int | None = None
    possible_duplicate_of_id: int | None = None
    latitude: float | None = None  # WGS-84; see location.py (both or neither)
    longitude: float | None = None
    officer_id: int | None = None  # 承办人 within the department (就近派遣)
    scenario_id: int | None = None
    confidential: bool = False  # the scenario is 举报类 (see mark_confidential)


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
        place_label=case.place_label,
        reporter_name=case.reporter_name,
        created_at=case.created_at,
        promise_days=case.scenario.promise_days,
        intake_officer_id=case.intake_officer_id,
        possible_duplicate_of_id=case.possible_duplicate_of_id,
        latitude=case.latitude,
        longitude=case.longitude,
        officer_id=case.officer_id,
        scenario_id=case.scenario_id,
        confidential=case.scenario.confidential,
    )


def _load(case_id: int) -> Case:
    with scopes_disabled():
        return Case.objects.select_related("scenario", "region").get(pk=case_id)


def get_case(case_id: int) -> CaseSnapshot:
    return _snapshot(_load(case_id))


def _as_read(seen: CaseSnapshot) -> Case:
    """The case as a caller read it earlier in the same transaction, rebuilt without reading
    it again: what the policy judges and a transition changes. A transition writes only the
    columns it changes, guarded by the state as read, so no other column is touched and a case
    moved on meanwhile is still a CaseConflict."""
    case = Case(
        id=seen.id,
        tenant_id=seen.tenant_id,
        tracking_number=seen.tracking_number,
        scenario_id=seen.scenario_id,
        state=seen.state,
        priority=seen.priority,
        department_id=seen.department_id,
        officer_id=seen.officer_id,
        intake_officer_id=seen.intake_officer_id,
        reopen_count=seen.reopen_count,
        reporter_phone=seen.reporter_phone,  # save() keeps the (unsaved) hash in step with it
    )
    scenario = Scenario(
        id=seen.scenario_id,
        tenant_id=seen.tenant_id,
        code=seen.scenario_code,
        name=seen.scenario_name,
        promise_days=seen.promise_days,
        confidential=seen.confidential,
    )
    case._state.adding = False  # the row exists: saving it is an UPDATE
    case.scenario = scenario
    return case


def _case_and_snapshot(case: int | CaseSnapshot) -> tuple[Case, CaseSnapshot | None]:
    """The case to transition, and the caller's snapshot of it if it passed one."""
    if isinstance(case, CaseSnapshot):
        return _as_read(case), case
    return _load(case), None


def _after(case: Case, seen: CaseSnapshot | None) -> CaseSnapshot:
    """The case as saved by an assignment: from the caller's snapshot when there was one (only
    the assignment's own columns changed), else from the model, which holds all of it."""
    if seen is None:
        return _snapshot(case)
    return replace(
        seen,
        state=case.state,
        state_label=case.get_state_display(),
        priority=case.priority,
        department_id=case.department_id,
        officer_id=case.officer_id,
        reopen_count=case.reopen_count,
    )


def cases_due_for_anonymisation(
    tenant_id: int, retention_days: int, now: datetime
) -> list[tuple[int, str]]:
    """保存期限: (id, tracking number) of the tenant's cases closed more than `retention_days`
    ago whose reporter's data is still there."""
    return [(c.pk, c.tracking_number) for c in retention.due_cases(tenant_id, retention_days, now)]


def anonymise_case(case_id: int, now: datetime) -> dict[str, int]:
    """Removes the reporter's personal data from intake's rows of one case (what changed).
    Call inside the transaction that also clears the other services' copies."""
    with scopes_disabled():
        return retention.anonymise_case(Case.objects.get(pk=case_id), now)


rehash_phones = retention.rehash_phones


def case_by_access_key(access_key: str) -> CaseSnapshot | None:
    """The case behind a citizen's private link, or None."""
    with scopes_disabled():
        case = (
            Case.objects.select_related("scenario", "region").filter(access_key=access_key).first()
        )
    return _snapshot(case) if case else None


def public_timeline(case_id: int) -> list[dict[str, Any]]:
    """What the citizen may see: states and public replies, never staff names or internal
    notes."""
    case = _load(case_id)
    labels = dict(CaseState.choices)
    return [
        {
            "at": e.at,
            "state": labels.get(e.to_state, ""),
            "note": (
                e.note_text if e.action in PUBLIC_NOTE_ACTIONS or e.from_state == e.to_state else ""
            ),
        }
        for e in case.timeline.filter(public=True)
    ]


@dataclass(frozen=True)
class ResultFileView:
    """A result attachment as the citizen's pages list it."""

    token: str
    kind: str  # "photo" | "document"
    name: str


def public_result_files(case_id: int) -> list[ResultFileView]:
    """The files staff attached to the case's current result and left visible to the citizen."""
    case = _load(case_id)
    with scopes_disabled():
        rows = ResultFile.objects.filter(case_id=case.pk, round=case.reopen_count, public=True)
        return [ResultFileView(r.token, r.kind, r.name) for r in rows]


def citizen_result_file(access_key: str, token: str, variant: str):
    """The HTTP response serving a public result file to the holder of the case's private
    link (its access key), or None: unknown, another case's, or not public."""
    with scopes_disabled():
        row = ResultFile.objects.filter(
            token=token, public=True, case__access_key=access_key
        ).first()
    return file_response(row, variant) if row is not None else None


def cases_by_tracking_and_phone(tracking_number: str, last_four: str) -> list[CaseSnapshot]:
    """The citizen's status lookup: tracking number plus the phone's last four digits."""
    return [_snapshot(c) for c in access.cases_by_tracking_and_phone(tracking_number, last_four)]


@dataclass(frozen=True)
class EntryPointView:
    """An entry point as the phone page needs it."""

    token: str
    active: bool
    tenant_id: int
    tenant_name: str
    tenant_hotline: str
    scenario_name: str
    scenario_intro: str
    promise_days: int  # 一般 N 个工作日内答复, as the scenario promises
    place_label: str
    scenario_code: str = ""
    region_path: str = ""
    phone_region: str = "CN"  # the tenant's 默认号码地区: how its citizens' numbers are read


def entry_point(token: str) -> EntryPointView | None:
    ep = catalog.entry_point(token)
    if ep is None:
        return None
    return EntryPointView(
        token=ep.token,
        active=ep.active and ep.scenario.active,
        tenant_id=ep.tenant_id,
        tenant_name=ep.tenant.name,
        tenant_hotline=ep.tenant.hotline,
        scenario_name=ep.scenario.name,
        scenario_intro=ep.scenario.intro,
        promise_days=ep.scenario.promise_days,
        place_label=ep.place_label,
        scenario_code=ep.scenario.code,
        phone_region=ep.tenant.phone_region,
    )


def entry_point_form(token: str):
    """The empty form of the entry point's scenario, as the phone page shows it (LookupError:
    unknown code)."""
    ep = catalog.entry_point(token)
    if ep is None:
        raise LookupError(token)
    return submission_form(ep.scenario)


def register_scan(token: str) -> None:
    """Counts a scan; nothing about the scanner is stored. One row appended, no row locked."""
    ep = catalog.entry_point(token)
    if ep is not None:
        EntryPointScan.objects.create(entry_point_id=ep.pk)


def entry_point_counts(token: str) -> tuple[int, int]:
    """(scans, submissions) of an entry point, counted when asked (扫码次数, 提交次数)."""
    with scopes_disabled():
        ep = EntryPoint.objects.get(token=token)
        scans = ep.scan_count + EntryPointScan.objects.filter(entry_point=ep).count()
        return scans, ep.case_set.count()


# The QR form's honeypot (see honeypot.py): the page shows the field, the view checks it.
HONEYPOT_FIELD = honeypot.FIELD
caught_by_honeypot = honeypot.filled
without_honeypot = honeypot.without


def submit_via_entry_point(
    token: str, data: Any, files: Any = None, *, channel: str = Case.Channel.QR
) -> CaseSnapshot:
    """A citizen's submission through a QR code (or the API with its token).

    Raises SubmissionInvalid (nothing stored) or LookupError (unknown or inactive code).
    """
    ep = catalog.entry_point(token)
    if ep is None or not (ep.active and ep.scenario.active):
        raise LookupError(token)
    with scope(tenant=ep.tenant_id):
        case = submit(ep.scenario, data, files, channel=channel, entry_point=ep)
    return _snapshot(case)  # the request already knows the case: no query after commit


def staff_scenarios(user) -> list[tuple[str, str]]:
    """(code, name) of the scenarios this member of staff may take submissions for.
    PermissionDenied for anyone who may not take submissions."""
    return [(s.code, s.name) for s in access.staff_scenarios(access.intake_staff(user))]


def staff_submission_form(user, scenario_code: str, data=None, files=None):
    """The form a desk officer fills for a walk-in citizen (LookupError: no such scenario)."""
    scenario = access.scenario_for_staff(access.intake_staff(user), scenario_code)
    return submission_form(scenario, data, files, ask_place=True)


def submit_for_staff(
    user, scenario_code: str, data: Any, files: Any = None, *, channel: str = Case.Channel.DESK
) -> CaseSnapshot:
    """无差别受理: a member of staff registers a citizen's request, recorded as the intake
    officer. PermissionDenied, LookupError (scenario not of their tenant) or SubmissionInvalid."""
    staff = access.intake_staff(user)
    scenario = access.scenario_for_staff(staff, scenario_code)
    with scope(tenant=staff.tenant_id):
        case = submit(scenario, data, files, channel=channel, officer=user)
    return _snapshot(case)


def submit_for_partner(
    tenant_id: int, scenario_code: str, data: Any, *, officer=None
) -> CaseSnapshot:
    """A partner system's submission (对接系统, e.g. Open311), channel `api`. With `officer`
    (the staff member its key acts as) it is theirs as at the desk: PermissionDenied unless
    they take submissions for this tenant. LookupError: no such active scenario;
    SubmissionInvalid: nothing stored."""
    if officer is not None:
        if access.intake_staff(officer).tenant_id != tenant_id:
            raise PermissionDenied
        return submit_for_staff(officer, scenario_code, data, channel=Case.Channel.API)
    with scopes_disabled():
        scenario = (
            Scenario.objects.select_related("tenant")
            .filter(tenant_id=tenant_id, code=scenario_code, active=True)
            .first()
        )
    if scenario is None:
        raise LookupError(scenario_code)
    with scope(tenant=tenant_id):
        case = submit(scenario, data, channel=Case.Channel.API)
    return _snapshot(case)


def staff_case(user, case_id: int) -> CaseSnapshot:
    """A case this user may read, or PermissionDenied (also for other tenants' cases, so
    their ids reveal nothing)."""
    case = access.readable_cases(user).filter(pk=case_id).first()
    if case is None:
        raise PermissionDenied
    return _snapshot(case)


def cases_by_phone(user, raw_phone: str, tracking_number: str = "") -> list[CaseSnapshot]:
    """A caller's cases at the desk: those the user reads anyway, plus the one the citizen
    proves is theirs with its tracking number. ValidationError for a malformed number."""
    staff = access.intake_staff(user)
    return [_snapshot(c) for c in access.counter_lookup(staff, raw_phone, tracking_number)]


def assign(
    case: int | CaseSnapshot,
    department_id: int,
    note: Note,
    *,
    by=None,
    priority: int | None = None,
    co_department_ids: Iterable[int] = (),
    rule_id: int | None = None,
    officer_id: int | None = None,
) -> CaseSnapshot:
    """分拨 by the system (routing's rule `rule_id`) or 派单/改派 by a dispatcher (`by`): the lead
    department and the co-handlers (协同) in one transaction; a rule may also set the case's
    priority (e.g. a group wage-arrears case becomes urgent) and name the officer of the
    department who takes it (承办人, 就近派遣). `case.assigned` carries `rule_id` so the
    deadline clock (routing) starts from the event alone.

    `case` is the case's id, or its snapshot as the caller read it in its own transaction
    (routing, at the pace of submissions): then it is not read again."""
    changes: dict[str, Any] = {"department_id": department_id, "officer_id": officer_id}
    if priority is not None:
        changes["priority"] = priority
    row, seen = _case_and_snapshot(case)
    name = {"submitted": "route", "needs_dispatch": "dispatch"}.get(row.state, "reassign")
    first = row.department_id is None

    def co_handlers(saved: Case) -> None:
        handling.replace_co_handlers(saved, co_department_ids, first_assignment=first)

    row = transition(
        row, name, by=by, note=note, announce={"rule_id": rule_id}, then=co_handlers, **changes
    )
    # The case as saved: no second read.
    return _after(row, seen)


def hold_for_dispatch(case: int | CaseSnapshot, note: Note) -> CaseSnapshot:
    """待人工派单: no rule matched; whoever co-handled or was the officer of an earlier
    assignment no longer does. `case` as for assign."""
    row, seen = _case_and_snapshot(case)
    first = row.department_id is None

    def no_co_handlers(saved: Case) -> None:
        handling.replace_co_handlers(saved, (), first_assignment=first)

    row = transition(row, "hold_for_dispatch", note=note, officer_id=None, then=no_co_handlers)
    return _after(row, seen)


co_handled_case_ids = handling.co_handled_case_ids
co_handler_ids = handling.co_handler_ids


def take_transition(case_id: int, name: str, user, note: str = "", **changes: Any) -> CaseSnapshot:
    """A staff member's transition (签收, 办结, 退回 …). See services.transition for errors."""
    transition(_load(case_id), name, by=user, note=note, **changes)
    return get_case(case_id)


def take_transition_at_version(
    case_id: int, name: str, user, version: str, note: str = "", **changes: Any
) -> CaseSnapshot:
    """As take_transition (resolve: `note` is the result, `files` its attachments), on the
    case as the caller read it (`version`, see case_version): StaleVersion if it changed."""
    transition_at_version(case_id, name, by=user, version=version, note=note, **changes)
    return get_case(case_id)


def resolve_case(case_id: int, user, result: str, files: list | None = None) -> CaseSnapshot:
    """办结 with attachments; ValidationError for a bad file, else as take_transition."""
    resolve(_load(case_id), result, by=user, files=files)
    return get_case(case_id)


def entry_point_qr_svg(token: str) -> bytes:
    return qr_svg(entry_point_url(token))


def entry_point_qr_png(token: str) -> bytes:
    return qr_png(entry_point_url(token))


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


def mark_confidential(scenario: Scenario, confidential: bool = True) -> None:
    """Marks a scenario 举报类: its reporters are shown only to those who act on them."""
    scenario.confidential = confidential
    scenario.save(update_fields=["confidential"])


def mark_escalated(case_id: int, note: Note, *, cause: str) -> bool:
    """督办 by the system (e.g. a deadline turned red, cause EscalationCause.OVERDUE): once per
    case; False if already."""
    return escalate(_load(case_id), note, cause=cause)


def add_timeline_note(
    case_id: int, action: str, note: Note, *, by=None, public: bool = False
) -> None:
    """A timeline row that changes no state (e.g. a deadline extension approved)."""
    record_note(_load(case_id), action=action, note=note, by=by, public=public)


def case_counts() -> dict[tuple[int, str], int]:
    """Cases ever submitted, by (tenant id, scenario code), all tenants: for operators' metrics."""
    with scopes_disabled():
        rows = Case.objects.values("tenant_id", "scenario__code").annotate(n=Count("id")).order_by()
        return {(row["tenant_id"], row["scenario__code"]): row["n"] for row in rows}
