"""超期督办: cases whose deadline turned red are escalated once per deadline; 临期预警: those that
turned yellow are announced once per deadline.

Escalating marks the case in its timeline (intake, whose `case.escalated` names the cause
"overdue") and announces `case.overdue`, on which notify alerts the department's heads and the
dispatchers: once, for the one cause. A yellow turn announces `case.due_soon`, so screens
showing the three colours change without a reload.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_scopes import scope, scopes_disabled

from services import eventbus
from services.intake import api as intake

from . import events
from .deadlines import red_q, running, yellow_q
from .models import CaseDeadline

logger = logging.getLogger(__name__)


def _note(row: CaseDeadline, now: datetime) -> intake.SystemNote:
    local = timezone.localtime
    if row.signed_at is None and row.sign_due is not None and row.sign_due < now:
        return intake.SystemNote(
            gettext_noop("超过签收期限（%(due)s）仍未签收，已督办。"),
            {"due": f"{local(row.sign_due):%Y-%m-%d %H:%M}"},
        )
    return intake.SystemNote(
        gettext_noop("超过办结期限（%(due)s）仍未办结，已督办。"),
        {"due": f"{local(row.resolve_due):%Y-%m-%d %H:%M}"},
    )


def escalate_overdue(now: datetime | None = None) -> int:
    """Escalates every newly red deadline of every tenant; returns how many it escalated.

    The claim (`escalated_at` set only where it is still empty) and the event share one
    transaction, so two runs, or a run repeated after a crash, escalate a deadline once.
    """
    now = now or timezone.now()
    with scopes_disabled():
        due = list(running().filter(red_q(now), escalated_at=None).order_by("pk"))
    escalated = 0
    for row in due:
        try:
            with scope(tenant=row.tenant_id), transaction.atomic():
                if not CaseDeadline.objects.filter(pk=row.pk, escalated_at=None).update(
                    escalated_at=now
                ):
                    continue  # another run got there first
                note = _note(row, now)
                if not intake.mark_escalated(
                    row.case_id, note, cause=intake.EscalationCause.OVERDUE
                ):
                    # Escalated before (e.g. a second dissatisfaction): still on the record.
                    intake.add_timeline_note(row.case_id, "overdue", note)
                eventbus.publish(
                    events.CaseOverdue(
                        tenant_id=row.tenant_id,
                        case_id=row.case_id,
                        department_id=row.department_id,
                    )
                )
        except Exception:
            logger.exception(
                "Escalating overdue case %s (tenant %s, department %s) failed; next run retries",
                row.case_id,
                row.tenant_id,
                row.department_id,
            )
            continue
        escalated += 1
        logger.info(
            "Case %s overdue at department %s (tenant %s): escalated",
            row.case_id,
            row.department_id,
            row.tenant_id,
        )
    return escalated


def warn_due_soon(now: datetime | None = None) -> int:
    """Announces every deadline that newly turned yellow (and is not yet red), once each;
    returns how many. Claimed like escalation, so repeated runs announce a deadline once."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            running().filter(yellow_q(now), warned_at=None).exclude(red_q(now)).order_by("pk")
        )
    warned = 0
    for row in due:
        with scope(tenant=row.tenant_id), transaction.atomic():
            if not CaseDeadline.objects.filter(pk=row.pk, warned_at=None).update(warned_at=now):
                continue
            eventbus.publish(
                events.CaseDueSoon(
                    tenant_id=row.tenant_id,
                    case_id=row.case_id,
                    department_id=row.department_id,
                )
            )
        warned += 1
    return warned
