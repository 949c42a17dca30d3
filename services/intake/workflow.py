"""The case workflow: submission and every transition, each guarded, recorded and announced."""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from django_scopes import scopes_disabled

from services import eventbus, satisfaction
from services.directory.api import policy, staff_info
from services.identifiers import tracking_numbers

from . import events
from .access import facts
from .forms import CaseSubmissionForm
from .location import entry_point_coordinates
from .models import Case, CaseEvent, EntryPoint, Scenario
from .photos import discard_files, store_photos
from .result_files import clean_result_files, store_result_files
from .states import CaseState, EscalationCause
from .timeline import Note, SystemNote, stored_note

logger = logging.getLogger(__name__)

# Stored untranslated, shown in the reader's language (timeline.actor_text).
SYSTEM_LABEL = gettext_noop("系统")
CITIZEN_LABEL = gettext_noop("市民")


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


class StaleVersion(CaseConflict):
    """The caller acted on an older copy of the case than the one stored (乐观锁): someone
    else changed it since, so the caller must read it again before acting."""


def case_version(case: Case) -> str:
    """The case's version for optimistic checks (admin pages and the API): its last change."""
    return case.updated_at.isoformat()


def _new_tracking_number() -> str:
    """Readable aloud: the local date and five random digits, e.g. 261124-03817."""
    return tracking_numbers.compose(timezone.localdate(), secrets.randbelow(100_000))


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
                eventbus.publish(events.CaseSubmitted(**_about(case)))  # last: the case is whole
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
    where = form.coordinates or entry_point_coordinates(entry_point)
    if where is not None:
        place.update(latitude=where.latitude, longitude=where.longitude)
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
    # Stored untranslated, as every system note is: str() would store the active language.
    note, note_params = SystemNote(gettext_noop("已受理")).stored()
    CaseEvent.objects.create(
        case=case,
        actor=officer,
        actor_label=_actor_label(officer, CITIZEN_LABEL),
        action="submit",
        to_state=case.state,
        note=note,
        note_params=note_params,
    )


def _about(case: Case) -> dict[str, Any]:
    """The fields every case event carries."""
    return {"case_id": case.pk, "tenant_id": case.tenant_id}


def _actor_label(user, default: str) -> str:
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class TransitionRule:
    event: type[events.CaseChanged]  # what it announces
    label: str | Promise  # what staff see on the button (lazy: the reader's language)


# The mechanics of each transition; who may take it is the policy's (policy.TRANSITIONS).
TRANSITIONS: dict[str, TransitionRule] = {
    "route": TransitionRule(events.CaseAssigned, gettext_lazy("分拨")),
    "hold_for_dispatch": TransitionRule(events.CaseNeedsDispatch, gettext_lazy("待派单")),
    "dispatch": TransitionRule(events.CaseAssigned, gettext_lazy("派单")),
    "sign_for": TransitionRule(events.CaseSignedFor, gettext_lazy("签收")),
    "return_case": TransitionRule(events.CaseReturned, gettext_lazy("退回")),
    "reassign": TransitionRule(events.CaseAssigned, gettext_lazy("改派")),
    "resolve": TransitionRule(events.CaseResolved, gettext_lazy("办结")),
    "close": TransitionRule(events.CaseClosed, gettext_lazy("结案")),
    "reopen": TransitionRule(events.CaseReopened, gettext_lazy("重办")),
    "close_by_dispatcher": TransitionRule(events.CaseClosed, gettext_lazy("说明结案")),
    "reopen_by_dispatcher": TransitionRule(events.CaseReopened, gettext_lazy("指挥室重办")),
    "invalidate": TransitionRule(events.CaseClosed, gettext_lazy("作废")),
}


AFTER_RESOLUTION = frozenset({CaseState.RESOLVED, CaseState.CLOSED})

# A logged-in user who is nobody's staff: distinct from None, which means the system itself.
_NOT_STAFF = object()


def _acting_staff(user):
    """The staff record transitions are judged by: None for the system, _NOT_STAFF for users
    outside every tenant (they may take nothing)."""
    if user is None:
        return None
    return staff_info(user) or _NOT_STAFF


def _allowed(staff, case: Case, name: str) -> bool:
    """`staff` None is the system itself (a worker acting on an event or a survey answer)."""
    return staff is not _NOT_STAFF and policy.may_take(staff, name, facts(case))


def available_transitions(user, case: Case) -> list[str]:
    """The transitions this user may take on this case now (for buttons)."""
    staff = _acting_staff(user)  # once per page, not once per button
    # django-fsm adds get_available_<field>_transitions to the model at class creation.
    open_now = {t.name for t in case.get_available_state_transitions()}  # type: ignore[attr-defined]
    return [name for name in TRANSITIONS if name in open_now and _allowed(staff, case, name)]


def transition(
    case: Case,
    name: str,
    *,
    by=None,
    by_label: str = SYSTEM_LABEL,
    note: Note = "",
    public: bool = True,
    announce: dict[str, Any] | None = None,
    then: Callable[[Case], None] | None = None,
    **changes: Any,
) -> Case:
    """Takes transition `name`, applies `changes`, writes the timeline row and the event
    (`announce`: the fields its event declares beyond the case's id and tenant). `then(case)`
    writes what else belongs to the change (an assignment's co-handlers) in the same
    transaction, so the caller needs no transaction (and savepoint) of its own.

    Raises PermissionDenied when `by` may not take it, CaseConflict when the case is no longer
    in a state it applies to (including when another user moved it first).
    """
    if not _allowed(_acting_staff(by), case, name):
        raise PermissionDenied(_("您无权对该案件执行此操作。"))
    from_state = case.state
    try:
        with transaction.atomic():
            getattr(case, name)()
            # Only what the transition changes is written: the UPDATE stays small, and a
            # concurrent edit of another column (e.g. 督办's flag) is not overwritten.
            changed = {"state", "updated_at", *changes}
            if from_state in AFTER_RESOLUTION and case.state != CaseState.CLOSED:
                # Back to work after 办结: a new round, so the next 办结 is surveyed afresh.
                case.reopen_count += 1
                changed.add("reopen_count")
            if "department_id" in changes:
                # An officer belongs to the department that chose them: 改派 / 派单 to a
                # department (or the same one by hand) leaves it to that department.
                changes.setdefault("officer_id", None)
                changed.add("officer_id")
            for field, value in changes.items():
                setattr(case, field, value)
            case.save(update_fields=changed)
            note, note_params = stored_note(note)
            CaseEvent.objects.create(
                case=case,
                actor=by,
                actor_label=_actor_label(by, by_label),
                action=name,
                from_state=from_state,
                to_state=case.state,
                note=note,
                note_params=note_params,
                public=public,
            )
            if then is not None:
                then(case)
            eventbus.publish(TRANSITIONS[name].event(**_about(case), **(announce or {})))
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        case.refresh_from_db()
        raise CaseConflict(
            _("案件 %(number)s 当前状态为“%(state)s”，无法执行该操作，请刷新后重试。")
            % {"number": case.tracking_number, "state": case.get_state_display()}
        ) from exc
    return case


def resolve(case: Case, result: str, *, by, files: list | None = None) -> Case:
    """办结 with the result and its attachments (办理结果附件), whole or not at all.

    Every file is checked before anything changes (ValidationError); then the transition
    (PermissionDenied, CaseConflict as `transition`) and the files commit together.
    """
    cleaned = clean_result_files(list(files or []))
    stored: list = []
    try:
        with transaction.atomic():
            transition(case, "resolve", by=by, note=result, result=result)
            stored = store_result_files(case, cleaned, by=by)
    except BaseException:
        discard_files(stored)
        raise
    return case


def transition_at_version(
    case_id: int,
    name: str,
    *,
    by,
    version: str,
    note: Note = "",
    files: list | None = None,
    **changes: Any,
) -> Case:
    """`transition` (or `resolve`, with its files) on the case as the caller last read it.

    The row is locked first, so no one moves the case between the check and the change.
    PermissionDenied before StaleVersion: who may not act learns nothing from a version.
    """
    with scopes_disabled(), transaction.atomic():
        case = (
            Case.objects.select_related("scenario").select_for_update(of=("self",)).get(pk=case_id)
        )
        if not _allowed(_acting_staff(by), case, name):
            raise PermissionDenied(_("您无权对该案件执行此操作。"))
        if version != case_version(case):
            raise StaleVersion(
                _(
                    "案件 %(number)s 在您读取之后已被他人办理（当前状态：%(state)s），"
                    "请重新读取后再操作。"
                )
                % {"number": case.tracking_number, "state": case.get_state_display()}
            )
        if name == "resolve":
            return resolve(case, str(note), by=by, files=files)
        return transition(case, name, by=by, note=note, **changes)


def record_note(case: Case, *, action: str, note: Note, by=None, public: bool = False) -> None:
    """Adds a timeline row that changes no state (督办, internal notes)."""
    note, note_params = stored_note(note)
    CaseEvent.objects.create(
        case=case,
        actor=by,
        actor_label=_actor_label(by, SYSTEM_LABEL),
        action=action,
        from_state=case.state,
        to_state=case.state,
        note=note,
        note_params=note_params,
        public=public,
    )


def escalate(
    case: Case, note: Note, *, cause: str, public: bool = False, again: bool = False
) -> bool:
    """督办: marks the case escalated, records why, and announces it with its `cause` (an
    EscalationCause). Once: False if it already was, unless `again` (a citizen dissatisfied
    after the command room settled it asks the command room again)."""
    marked = Case.objects.filter(pk=case.pk, escalated=False).update(escalated=True)
    if not marked and not again:
        return False
    record_note(case, action="escalate", note=note, public=public)
    eventbus.publish(events.CaseEscalated(**_about(case), cause=str(cause)))
    return True


def apply_survey_answer(case_id: int, rating: int, comment: str) -> None:
    """满意度回访: satisfied closes; dissatisfied reopens once, then escalates to dispatchers.
    The scale (services.satisfaction) says which ratings are which."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.state != "resolved":
            logger.info("Survey answer for case %s ignored: state is %s", case_id, case.state)
            return
        rated = {"rating": rating, "comment": comment}
        note = SystemNote(gettext_noop("市民评价：%(rating)s 分。%(comment)s"), rated)
        if satisfaction.is_satisfied(rating):
            transition(case, "close", by_label=CITIZEN_LABEL, note=note, rating=rating)
        elif case.reopen_count == 0:
            transition(case, "reopen", by_label=CITIZEN_LABEL, note=note, rating=rating)
        else:
            # 督办: the case waits in the command room's queue until a dispatcher settles it
            # (改派, 指挥室重办 or 说明结案); a dissatisfaction after that asks them again.
            Case.objects.filter(pk=case.pk).update(rating=rating)
            escalate(
                case,
                SystemNote(
                    gettext_noop(
                        "市民再次不满意，已提交指挥室督办。市民评价：%(rating)s 分。%(comment)s"
                    ),
                    rated,
                ),
                cause=EscalationCause.DISSATISFIED,
                public=True,
                again=True,
            )


def apply_survey_timeout(case_id: int) -> None:
    """No answer within the survey window: the case closes as "no response" (未回复)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.state != "resolved":
            return
        transition(case, "close", note=SystemNote(gettext_noop("回访期内市民未回复，自动结案。")))
