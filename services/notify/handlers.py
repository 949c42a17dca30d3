"""Notify's reactions to other services' events, run by the notify worker."""

from services import eventbus
from services.intake import api as intake

from .alerts import alert_staff
from .models import StaffNotification
from .progress import send_assigned, send_receipt
from .surveys import cancel_open_surveys, start_survey


@eventbus.subscribe("case.submitted", queue="notify")
def send_receipt_sms(event: str, payload: dict) -> None:
    send_receipt(payload["case_id"])


@eventbus.subscribe("case.assigned", queue="notify")
def send_assigned_sms(event: str, payload: dict) -> None:
    send_assigned(payload["case_id"])


@eventbus.subscribe("case.resolved", queue="notify")
def send_survey_sms(event: str, payload: dict) -> None:
    start_survey(payload["case_id"])


@eventbus.subscribe("case.closed", queue="notify")
def stop_surveying_closed_case(event: str, payload: dict) -> None:
    cancel_open_surveys(payload["case_id"])


@eventbus.subscribe("case.overdue", queue="notify")
def alert_overdue(event: str, payload: dict) -> None:
    alert_staff(StaffNotification.Kind.OVERDUE, payload["case_id"], payload.get("department_id"))


@eventbus.subscribe("case.escalated", queue="notify")
def alert_escalated(event: str, payload: dict) -> None:
    # A deadline that passed escalates the case and announces case.overdue, which alerts
    # (naming the department whose deadline it was): one cause, one alert.
    if payload.get("cause") == intake.EscalationCause.OVERDUE:
        return
    alert_staff(StaffNotification.Kind.ESCALATED, payload["case_id"])
