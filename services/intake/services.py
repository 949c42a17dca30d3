"""The case workflow: submission and every transition, each guarded, recorded and announced."""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from django_scopes import scopes_disabled

from services import eventbus
from services.directory.api import StaffInfo, staff_info

from .forms import CaseSubmissionForm
from .models import Case, CaseEvent, EntryPoint, Scenario
from .photos import discard_files, store_photos

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "系统"
CITIZEN_LABEL = "市民"


class SubmissionInvalid(Exception):
    """The submission was refused; `errors` maps field name → messages ("__all__" for others).

    `form` is the bound form, for pages that show the errors next to their fields.
    """

    def __init__(self, errors: dict[str, list[str]], form: Any = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.form = form


class CaseConflict(Exception):
    """The transition does not apply to the case as it is now (moved on, or another user won)."""


def _new_tracking_number() -> str:
    """Readable aloud: the local date and five random digits, e.g. 261124-03817."""
    return f"{timezone.localdate():%y%m%d}-{secrets.randbelow(100_000):05d}"


# Five random digits a day: two submissions drawing the same number is rare, so the draw is
# retried by redoing the whole transaction, not guarded by a savepoint every submission pays.
TRACKING_NUMBER_ATTEMPTS = 10


def _tracking_number_taken(case: Case) -> bool:
    with scopes_disabled():
        return Case.objects.filter(
            tenant_id=case.tenant_id, tracking_number=case.tracking_number
        ).exists()


def submission_form(
    scenario: Scenario, data=None, files=None, *, ask_place: bool = False
) -> CaseSubmissionForm:
    return CaseSubmissionForm(
        scenario,
        data=data,
        files=files,
        phone_region=scenario.tenant.phone_region,
        ask_place=ask_place,
    )


def submit(
    scenario: Scenario,
    data: Any,
    files: Any = None,
    *,
    channel: str,
    entry_point: EntryPoint | None = None,
    officer=None,
) -> Case:
    """受理: validates a submission and stores it as one case, whole or not at all.

    The one normalisation path of every channel (QR form, desk, API). Without an entry
    point the form asks for the region and place itself.
    """
    form = submission_form(scenario, data, files, ask_place=entry_point is None)
    if not form.is_valid():
        raise SubmissionInvalid({k: [str(m) for m in v] for k, v in form.errors.items()}, form=form)
    for _attempt in range(TRACKING_NUMBER_ATTEMPTS):
        stored: list = []
        case = _new_case(form, scenario, channel, entry_point, officer)
        try:
            # One transaction: the case, its timeline row, its photos' rows and its event.
            with transaction.atomic():
                case.save(force_insert=True)
                _record_submission(case, officer)
                stored = store_photos(case, form.photos)
                eventbus.publish("case.submitted", _payload(case))  # last: the case is whole
            return case
        except IntegrityError:
            discard_files(stored)  # the rows rolled back; their files must go too
            if case.pk is not None or not _tracking_number_taken(case):
                raise
        except BaseException:
            discard_files(stored)
            raise
    raise RuntimeError(
        f"Could not draw a free tracking number in {TRACKING_NUMBER_ATTEMPTS} attempts"
    )


def _new_case(
    form: CaseSubmissionForm, scenario: Scenario, channel: str, entry_point, officer
) -> Case:
    """The case as submitted, not yet saved, with a freshly drawn tracking number."""
    cleaned = form.cleaned_data
    if entry_point is not None:
        # The poster's region object itself (loaded with the entry point), so the snapshot
        # answered after commit reads nothing more.
        place = {"region": entry_point.region, "place_label": entry_point.place_label}
    else:
        place = {"region_id": cleaned.get("region"), "place_label": cleaned.get("place_label", "")}
    return Case(
        tenant_id=scenario.tenant_id,
        tracking_number=_new_tracking_number(),
        scenario=scenario,
        entry_point=entry_point,
        **place,
        description=cleaned["description"],
        reporter_phone=cleaned["reporter_phone"],
        reporter_name=cleaned["reporter_name"],
        extra=form.extra,
        channel=channel,
        intake_officer=officer,
    )


def _record_submission(case: Case, officer) -> None:
    """受理's timeline row. No counter to bump: an entry point's submissions are its cases
    (api.entry_point_counts), so submissions to one poster queue on no shared row."""
    CaseEvent.objects.create(
        case=case,
        actor=officer,
        actor_label=_actor_label(officer, CITIZEN_LABEL),
        action="submit",
        to_state=case.state,
        note=_("已受理"),
    )


def _payload(case: Case) -> dict[str, Any]:
    return {"case_id": case.pk, "tenant_id": case.tenant_id}


def _actor_label(user, default: str) -> str:
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


# Who may take each transition. `None` staff means the system itself (a worker acting on an
# event or on the citizen's survey reply); people never get the system-only transitions.
def _system(staff: StaffInfo | None, case: Case) -> bool:
    return staff is None


def _dispatcher(staff: StaffInfo | None, case: Case) -> bool:
    return staff is not None and staff.tenant_id == case.tenant_id and staff.is_dispatcher


def _department(staff: StaffInfo | None, case: Case) -> bool:
    return (
        staff is not None
        and staff.tenant_id == case.tenant_id
        and staff.handles(case.department_id)
    )


Guard = Callable[[StaffInfo | None, Case], bool]


@dataclass(frozen=True)
class TransitionRule:
    guard: Guard  # who may take it
    event: str  # what it announces
    label: str  # what staff see on the button


TRANSITIONS: dict[str, TransitionRule] = {
    "route": TransitionRule(_system, "case.assigned", gettext_lazy("分拨")),
    "hold_for_dispatch": TransitionRule(_system, "case.needs_dispatch", gettext_lazy("待派单")),
    "dispatch": TransitionRule(_dispatcher, "case.assigned", gettext_lazy("派单")),
    "sign_for": TransitionRule(_department, "case.signed_for", gettext_lazy("签收")),
    "return_case": TransitionRule(_department, "case.returned", gettext_lazy("退回")),
    "reassign": TransitionRule(_dispatcher, "case.assigned", gettext_lazy("改派")),
    "resolve": TransitionRule(_department, "case.resolved", gettext_lazy("办结")),
    "close": TransitionRule(_system, "case.closed", gettext_lazy("结案")),
    "reopen": TransitionRule(_system, "case.reopened", gettext_lazy("重办")),
    "invalidate": TransitionRule(_dispatcher, "case.closed", gettext_lazy("作废")),
}


# A logged-in user who is nobody's staff: distinct from None, which means the system itself.
_NOT_STAFF = object()


def _acting_staff(user):
    """The staff record transitions are judged by: None for the system, _NOT_STAFF for users
    outside every tenant (they may take nothing)."""
    if user is None:
        return None
    return staff_info(user) or _NOT_STAFF


def _allowed(staff, case: Case, name: str) -> bool:
    return staff is not _NOT_STAFF and TRANSITIONS[name].guard(staff, case)


def available_transitions(user, case: Case) -> list[str]:
    """The transitions this user may take on this case now (for buttons)."""
    staff = _acting_staff(user)  # once per page, not once per button
    open_now = {t.name for t in case.get_available_state_transitions()}
    return [name for name in TRANSITIONS if name in open_now and _allowed(staff, case, name)]


def transition(
    case: Case,
    name: str,
    *,
    by=None,
    by_label: str = SYSTEM_LABEL,
    note: str = "",
    public: bool = True,
    **changes: Any,
) -> Case:
    """Takes transition `name`, applies `changes`, writes the timeline row and the event.

    Raises PermissionDenied when `by` may not take it, CaseConflict when the case is no longer
    in a state it applies to (including when another user moved it first).
    """
    if not _allowed(_acting_staff(by), case, name):
        raise PermissionDenied(_("您无权对该案件执行此操作。"))
    from_state = case.state
    try:
        with transaction.atomic():
            getattr(case, name)()
            for field, value in changes.items():
                setattr(case, field, value)
            case.save()
            CaseEvent.objects.create(
                case=case,
                actor=by,
                actor_label=_actor_label(by, by_label),
                action=name,
                from_state=from_state,
                to_state=case.state,
                note=note,
                public=public,
            )
            eventbus.publish(TRANSITIONS[name].event, _payload(case))
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        case.refresh_from_db()
        raise CaseConflict(
            _("案件 %(number)s 当前状态为“%(state)s”，无法执行该操作，请刷新后重试。")
            % {"number": case.tracking_number, "state": case.get_state_display()}
        ) from exc
    return case


def record_note(case: Case, *, action: str, note: str, by=None, public: bool = False) -> None:
    """Adds a timeline row that changes no state (督办, internal notes)."""
    CaseEvent.objects.create(
        case=case,
        actor=by,
        actor_label=_actor_label(by, SYSTEM_LABEL),
        action=action,
        from_state=case.state,
        to_state=case.state,
        note=note,
        public=public,
    )


def escalate(case: Case, note: str, *, public: bool = False) -> bool:
    """督办: marks the case escalated once, records why, and announces it. False if it already was."""
    if not Case.objects.filter(pk=case.pk, escalated=False).update(escalated=True):
        return False
    record_note(case, action="escalate", note=note, public=public)
    eventbus.publish("case.escalated", _payload(case))
    return True


def apply_survey_answer(case_id: int, rating: int, comment: str, satisfied: bool) -> None:
    """满意度回访: satisfied closes; dissatisfied reopens once, then escalates to dispatchers."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.state != "resolved":
            logger.info("Survey answer for case %s ignored: state is %s", case_id, case.state)
            return
        note = _("市民评价：%(rating)s 分。%(comment)s") % {"rating": rating, "comment": comment}
        if satisfied:
            transition(case, "close", by_label=CITIZEN_LABEL, note=note, rating=rating)
        elif case.reopen_count == 0:
            transition(
                case,
                "reopen",
                by_label=CITIZEN_LABEL,
                note=note,
                rating=rating,
                reopen_count=case.reopen_count + 1,
            )
        elif not case.escalated:
            Case.objects.filter(pk=case.pk).update(escalated=True, rating=rating)
            record_note(
                case,
                action="escalate",
                public=True,
                note=_("市民再次不满意，已提交指挥室督办。") + note,
            )
            eventbus.publish("case.escalated", _payload(case))


def apply_survey_timeout(case_id: int) -> None:
    """No answer within the survey window: the case closes as "no response" (未回复)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.state != "resolved":
            return
        transition(case, "close", note=_("回访期内市民未回复，自动结案。"))
