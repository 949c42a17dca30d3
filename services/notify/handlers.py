"""Notify's reactions to other services' events, run by the notify worker."""

from services import eventbus
from services.intake import api as intake
from services.intake import events as intake_events
from services.routing import events as routing_events

from .alerts import alert_staff
from .models import StaffNotification
from .progress import send_assigned, send_receipt
from .surveys import cancel_open_surveys, start_survey


@eventbus.subscribe(intake_events.CaseSubmitted, queue="notify")
def send_receipt_sms(event: intake_events.CaseSubmitted) -> None:
    send_receipt(event.case_id)


@eventbus.subscribe(intake_events.CaseAssigned, queue="notify")
def send_assigned_sms(event: intake_events.CaseAssigned) -> None:
    send_assigned(event.case_id)


@eventbus.subscribe(intake_events.CaseResolved, queue="notify")
def send_survey_sms(event: intake_events.CaseResolved) -> None:
    start_survey(event.case_id)


@eventbus.subscribe(intake_events.CaseClosed, queue="notify")
def stop_surveying_closed_case(event: intake_events.CaseClosed) -> None:
    cancel_open_surveys(event.case_id)


@eventbus.subscribe(routing_events.CaseOverdue, queue="notify")
def alert_overdue(event: routing_events.CaseOverdue) -> None:
    alert_staff(StaffNotification.Kind.OVERDUE, event.case_id, event.department_id)


@eventbus.subscribe(intake_events.CaseEscalated, queue="notify")
def alert_escalated(event: intake_events.CaseEscalated) -> None:
    # A deadline that passed escalates the case and announces case.overdue, which alerts
    # (naming the department whose deadline it was): one cause, one alert.
    if event.cause == intake.EscalationCause.OVERDUE:
        return
    alert_staff(StaffNotification.Kind.ESCALATED, event.case_id)
