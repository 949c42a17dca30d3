"""Notify's reactions to intake's events, run by the notify worker."""

from services import eventbus

from .services import send_receipt, start_survey


@eventbus.subscribe("case.submitted", queue="notify")
def send_receipt_sms(event: str, payload: dict) -> None:
    send_receipt(payload["case_id"])


@eventbus.subscribe("case.resolved", queue="notify")
def send_survey_sms(event: str, payload: dict) -> None:
    start_survey(payload["case_id"])
