"""督办提醒: when a case runs overdue or is escalated, the department's heads and the tenant's
dispatchers get an in-app alert, and an SMS too when they have a phone and the tenant wants it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from services import eventbus
from services.directory.api import get_department, staff_to_alert
from services.intake import api as intake

from . import events
from .kinds import Kind
from .models import StaffNotification
from .outbox import queue_message
from .preferences import settings_for
from .texts import render

logger = logging.getLogger(__name__)

_SMS_KIND: dict[str, Kind] = {
    StaffNotification.Kind.OVERDUE: Kind.STAFF_OVERDUE,
    StaffNotification.Kind.ESCALATED: Kind.STAFF_ESCALATED,
}


@dataclass(frozen=True)
class StaffAlert:
    """An in-app alert as the dashboard shows it."""

    id: int
    kind: str
    kind_label: str
    case_id: int
    tracking_number: str
    text: str
    created_at: datetime
    read: bool = False


def alert_staff(kind: str, case_id: int, department_id: int | None = None) -> int:
    """Alerts everyone `staff_to_alert` names, once per person and occasion; returns how many
    were newly alerted. `department_id` defaults to the case's department."""
    case = intake.get_case(case_id)
    department_id = department_id if department_id is not None else case.department_id
    department = get_department(case.tenant_id, department_id).name if department_id else ""
    prefs = settings_for(case.tenant_id)
    sms_kind = _SMS_KIND[kind]
    params = {"tracking_number": case.tracking_number, "department": department}
    text = render(case.tenant_id, sms_kind, prefs.language, **params)
    # A reopened case can run overdue again: that is a new occasion.
    occasion = f"{kind}:{case_id}:{case.reopen_count}"
    alerted: list[events.AlertRecipient] = []
    with scopes_disabled(), transaction.atomic():
        for contact in staff_to_alert(case.tenant_id, department_id):
            alert, created = StaffNotification.objects.get_or_create(
                user_id=contact.user_id,
                key=occasion,
                defaults={
                    "tenant_id": case.tenant_id,
                    "kind": kind,
                    "case_id": case_id,
                    "tracking_number": case.tracking_number,
                    "text": text,
                },
            )
            if not created:
                continue
            alerted.append(events.AlertRecipient(user_id=contact.user_id, alert_id=alert.pk))
            if prefs.staff_sms_alerts and contact.phone:
                queue_message(
                    tenant_id=case.tenant_id,
                    to=contact.phone,
                    body=text,
                    kind=sms_kind,
                    params=params,
                    key=f"staff:{occasion}:{contact.user_id}",
                    case_id=case_id,
                    # An urgent case may wake someone; an ordinary one waits for the morning.
                    urgent=case.priority > 0,
                )
        if alerted:
            # Screens that are open (the command room's) show it at once.
            eventbus.publish(
                events.StaffAlerted(
                    tenant_id=case.tenant_id,
                    case_id=case_id,
                    kind=str(kind),
                    text=text,
                    recipients=tuple(alerted),
                )
            )
    logger.info("Case %s %s: %d staff alerted", case_id, kind, len(alerted))
    return len(alerted)


def unread_alerts(user_id: int) -> list[StaffAlert]:
    with scopes_disabled():
        rows = StaffNotification.objects.filter(user_id=user_id, read_at__isnull=True)
        return [_snapshot(row) for row in rows]


def _snapshot(row: StaffNotification) -> StaffAlert:
    return StaffAlert(
        id=row.pk,
        kind=row.kind,
        kind_label=str(row.get_kind_display()),
        case_id=row.case_id,
        tracking_number=row.tracking_number,
        text=row.text,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


def recent_alerts(user_id: int, limit: int = 50) -> list[StaffAlert]:
    """The user's alerts, unread first, then the most recent read ones."""
    with scopes_disabled():
        rows = StaffNotification.objects.filter(user_id=user_id).order_by(
            F("read_at").desc(nulls_first=True), "-created_at", "-pk"
        )[:limit]
        return [_snapshot(row) for row in rows]


UNREAD_COUNT_CAP = 99  # the header shows "99" at most; a count never scans a whole backlog


def unread_alert_count(user_id: int) -> int:
    with scopes_disabled():
        unread = StaffNotification.objects.filter(user_id=user_id, read_at__isnull=True)
        return unread[:UNREAD_COUNT_CAP].count()


def open_alert(user_id: int, alert_id: int) -> int | None:
    """Marks one of the user's own alerts read; returns its case id (None: not theirs)."""
    with scopes_disabled():
        row = StaffNotification.objects.filter(user_id=user_id, pk=alert_id).first()
        if row is None:
            return None
        if row.read_at is None:
            StaffNotification.objects.filter(pk=row.pk).update(read_at=timezone.now())
        return row.case_id


def mark_alerts_read(user_id: int, alert_ids: list[int] | None = None) -> int:
    """Marks the user's own alerts read (all of them when `alert_ids` is None)."""
    with scopes_disabled():
        rows = StaffNotification.objects.filter(user_id=user_id, read_at__isnull=True)
        if alert_ids is not None:
            rows = rows.filter(pk__in=alert_ids)
        return rows.update(read_at=timezone.now())
