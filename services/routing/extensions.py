"""延期: department staff ask for more time; a dispatcher approves or refuses; both are
recorded in the case's timeline."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from services.directory.api import Capability, CaseFacts, policy, staff_info
from services.intake import api as intake

from .deadlines import current_deadline, load_calendar
from .models import CaseDeadline, DeadlineExtension
from .working_time import add_working_time, warning_instant

Phase = DeadlineExtension.Phase
Status = DeadlineExtension.Status


def _open_deadline(case_id: int, phase: str) -> CaseDeadline:
    deadline = current_deadline(case_id)
    if deadline is None or deadline.resolve_due is None or deadline.resolved_at is not None:
        raise ValidationError(_("该案件当前没有进行中的办理时限，无需延期。"))
    if phase == Phase.SIGN_FOR and deadline.signed_at is not None:
        raise ValidationError(_("该案件已签收，只能申请延长办结期限。"))
    return deadline


def check_request(case_id: int, user, phase: str, reason: str) -> CaseDeadline:
    """Whether `user` may ask for more time on this case now; the deadline, or an error."""
    deadline = _open_deadline(case_id, phase)
    staff = staff_info(user)
    if staff is None or staff.tenant_id != deadline.tenant_id:
        raise PermissionDenied(_("您无权为该案件申请延期。"))
    case = CaseFacts(tenant_id=deadline.tenant_id, department_id=deadline.department_id)
    if not policy.acts_on(staff, Capability.REQUEST_EXTENSIONS, case):
        raise PermissionDenied(_("只有承办部门的工作人员可以申请延期。"))
    if not reason.strip():
        raise ValidationError(_("请填写延期理由。"))
    if DeadlineExtension.objects.filter(deadline=deadline, status=Status.PENDING).exists():
        raise ValidationError(_("该案件已有待审批的延期申请，请等待指挥室审批。"))
    return deadline


@transaction.atomic
def request_extension(
    case_id: int, user, *, phase: str, amount: int, unit: str, reason: str
) -> DeadlineExtension:
    """Staff of the handling department (or a dispatcher) ask for `amount` more working time."""
    deadline = check_request(case_id, user, phase, reason)
    extension = DeadlineExtension.objects.create(
        tenant_id=deadline.tenant_id,
        deadline=deadline,
        case_id=case_id,
        phase=phase,
        amount=amount,
        unit=unit,
        reason=reason.strip(),
        requested_by=user,
    )
    intake.add_timeline_note(
        case_id,
        "extension_requested",
        intake.SystemNote(
            gettext_noop("申请延长%(phase)s %(amount)s 个%(unit)s：%(reason)s"),
            {
                "phase": _source(extension.get_phase_display),
                "amount": amount,
                "unit": _source(extension.get_unit_display),
                "reason": extension.reason,
            },
            translated=("phase", "unit"),
        ),
        by=user,
    )
    return extension


@transaction.atomic
def decide_extension(
    extension_id: int, user, *, approve: bool, note: str = ""
) -> DeadlineExtension:
    """A dispatcher's decision. Approval moves the due (and the yellow point) by the amount,
    in working time from the old due, and lets an overdue case be escalated again later."""
    extension = DeadlineExtension.objects.select_for_update().get(pk=extension_id)
    staff = staff_info(user)
    case = CaseFacts(tenant_id=extension.tenant_id)
    if not policy.acts_on(staff, Capability.DECIDE_EXTENSIONS, case):
        raise PermissionDenied(_("只有指挥室调度员可以审批延期申请。"))
    if extension.status != Status.PENDING:
        raise ValidationError(_("该延期申请已处理，不能重复审批。"))
    deadline = CaseDeadline.objects.select_for_update().get(pk=extension.deadline_id)
    if approve and not deadline.current:
        raise ValidationError(_("案件已改派或退回，原办理时限已结束，不能再延期。"))
    now = timezone.now()
    extension.status = Status.APPROVED if approve else Status.REJECTED
    extension.decided_by, extension.decided_at, extension.decision_note = user, now, note.strip()
    extension.save()
    values: dict = {"note": extension.decision_note}
    if approve:
        new_due = _extend(deadline, extension)
        values["phase"] = _source(extension.get_phase_display)
        values["due"] = f"{timezone.localtime(new_due):%Y-%m-%d %H:%M}"
        message = (
            gettext_noop("延期已批准：%(phase)s延至 %(due)s。审批意见：%(note)s")
            if extension.decision_note
            else gettext_noop("延期已批准：%(phase)s延至 %(due)s。")
        )
    else:
        message = (
            gettext_noop("延期申请未获批准。审批意见：%(note)s")
            if extension.decision_note
            else gettext_noop("延期申请未获批准。")
        )
    decided = intake.SystemNote(message, values, translated=("phase",) if approve else ())
    intake.add_timeline_note(extension.case_id, "extension_decided", decided, by=user)
    return extension


def _source(display) -> str:
    """A choice's label as its catalogue message (untranslated), for a SystemNote's values."""
    with override(None):
        return str(display())


def _extend(deadline: CaseDeadline, extension: DeadlineExtension):
    cal = load_calendar(deadline.tenant_id)
    share = float(deadline.policy.warn_share) if deadline.policy else 0.25
    if extension.phase == Phase.SIGN_FOR:
        due_field, warn_field = "sign_due", "sign_warn_at"
    else:
        due_field, warn_field = "resolve_due", "resolve_warn_at"
    new_due = add_working_time(cal, getattr(deadline, due_field), extension.amount, extension.unit)
    setattr(deadline, due_field, new_due)
    setattr(deadline, warn_field, warning_instant(cal, deadline.assigned_at, new_due, share))
    if new_due > timezone.now():
        deadline.escalated_at = None  # a new promise: overdue again would escalate again
    deadline.save(update_fields=[due_field, warn_field, "escalated_at"])
    return new_due
