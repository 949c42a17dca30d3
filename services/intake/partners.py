"""What partner systems (对接系统: Open311 clients, other civic platforms) read of intake:
a tenant's published scenarios with their fields, and the cases a key's staff user may read,
as plain snapshots without the reporter.

Reading goes through the same need-to-know rule as the staff pages (access.readable_cases);
the reporter's name and phone never leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F, OuterRef, Q, Subquery
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.directory.api import StaffInfo

from . import access
from .models import Case, CaseEvent, Scenario
from .states import OPEN_STATES, CaseState
from .timeline import PUBLIC_NOTE_ACTIONS

# A filter by tracking numbers names at most this many (Open311's comma-separated list).
MAX_TRACKING_NUMBERS = 100


@dataclass(frozen=True)
class ScenarioFieldView:
    """A field a scenario declares (场景字段), as a partner fills it."""

    name: str
    label: str
    help_text: str
    kind: str  # ScenarioField.Kind value
    required: bool
    choices: tuple[str, ...]
    min_value: Decimal | None
    max_value: Decimal | None
    max_length: int


@dataclass(frozen=True)
class ScenarioView:
    """A scenario (场景) a partner may submit to."""

    code: str
    name: str
    intro: str
    promise_days: int
    fields: tuple[ScenarioFieldView, ...]


def published_scenarios(tenant_id: int, *, active_only: bool = True) -> list[ScenarioView]:
    """The tenant's active scenarios (all, with `active_only` False: old cases keep theirs)
    with their fields, in the order staff created them."""
    with scopes_disabled():
        scenarios = Scenario.objects.filter(tenant_id=tenant_id)
        if active_only:
            scenarios = scenarios.filter(active=True)
        scenarios = scenarios.prefetch_related("fields").order_by("pk")
        return [
            ScenarioView(
                code=s.code,
                name=s.name,
                intro=s.intro,
                promise_days=s.promise_days,
                fields=tuple(
                    ScenarioFieldView(
                        name=f.name,
                        label=f.label,
                        help_text=f.help_text,
                        kind=f.kind,
                        required=f.required,
                        choices=tuple(f.choices or ()),
                        min_value=f.min_value,
                        max_value=f.max_value,
                        max_length=f.max_length,
                    )
                    for f in s.fields.all()
                ),
            )
            for s in scenarios
        ]


@dataclass(frozen=True)
class PartnerCase:
    """A case as a partner system reads it: no reporter, coordinates only where allowed."""

    tracking_number: str
    scenario_code: str
    scenario_name: str
    state: str
    state_label: str
    is_open: bool
    description: str
    place_label: str
    latitude: float | None
    longitude: float | None
    department_name: str
    latest_public_note: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseFilter:
    """Which of the readable cases a partner asks for; every part optional (None: any)."""

    tracking_numbers: tuple[str, ...] | None = None  # already normalised
    scenario_codes: tuple[str, ...] | None = None
    open: bool | None = None  # True: not closed; False: closed
    submitted_from: datetime | None = None
    submitted_until: datetime | None = None
    offset: int = 0
    limit: int = 1000


def _coordinates_shown(reader: StaffInfo | None, case: Case) -> bool:
    """Whether this reader sees where the case happened. No policy rule for coordinates
    exists yet: they are shown on ordinary scenarios only, never on confidential (举报类)
    ones, where a location can point at the reporter. When the policy gains its rule, ask it
    here with `reader` and access.facts(case), as the staff pages do."""
    return not case.scenario.confidential


def _public_note_of_latest() -> Subquery:
    """The id of the case's latest timeline row the citizen reads with its note (what the
    status page shows): the partner's status_notes says no more than the citizen's page."""
    rows = (
        CaseEvent.objects.filter(case=OuterRef("pk"), public=True)
        .exclude(note="")
        .filter(Q(action__in=PUBLIC_NOTE_ACTIONS) | Q(from_state=F("to_state")))
        .order_by("-at", "-pk")
        .values("pk")[:1]
    )
    return Subquery(rows)


def partner_cases(user, wanted: CaseFilter) -> list[PartnerCase]:
    """The cases `user` (a key's staff user) may read that match `wanted`, newest first."""
    cases = access.readable_cases(user).select_related("scenario", "department")
    if wanted.tracking_numbers is not None:
        cases = cases.filter(tracking_number__in=wanted.tracking_numbers[:MAX_TRACKING_NUMBERS])
    if wanted.scenario_codes is not None:
        cases = cases.filter(scenario__code__in=wanted.scenario_codes)
    if wanted.open is True:
        cases = cases.filter(state__in=OPEN_STATES)
    elif wanted.open is False:
        cases = cases.filter(state=CaseState.CLOSED)
    if wanted.submitted_from is not None:
        cases = cases.filter(created_at__gte=wanted.submitted_from)
    if wanted.submitted_until is not None:
        cases = cases.filter(created_at__lte=wanted.submitted_until)
    with scopes_disabled():
        page = list(
            cases.annotate(note_row=_public_note_of_latest()).order_by("-created_at", "-pk")[
                wanted.offset : wanted.offset + wanted.limit
            ]
        )
        note_rows = CaseEvent.objects.in_bulk([c.note_row for c in page if c.note_row])
    reader = directory.staff_info(user)
    return [_partner_view(reader, c, note_rows.get(c.note_row)) for c in page]


def _partner_view(reader: StaffInfo | None, case: Case, note_row: CaseEvent | None) -> PartnerCase:
    shown = _coordinates_shown(reader, case)
    return PartnerCase(
        tracking_number=case.tracking_number,
        scenario_code=case.scenario.code,
        scenario_name=case.scenario.name,
        state=case.state,
        state_label=case.get_state_display(),
        is_open=case.is_open,
        description=case.description,
        place_label=case.place_label,
        latitude=case.latitude if shown else None,
        longitude=case.longitude if shown else None,
        department_name=case.department.name if case.department else "",
        latest_public_note=note_row.note_text if note_row else "",
        created_at=case.created_at,
        updated_at=case.updated_at,
    )
