"""Intake's reactions to other services' events."""

from services import eventbus

from .duplicates import flag_possible_duplicate
from .services import apply_survey_answer, apply_survey_timeout


@eventbus.subscribe("survey.answered", queue="intake")
def close_or_reopen_after_survey(event: str, payload: dict) -> None:
    # Intake decides close or reopen by the scale itself, not by the payload's "satisfied".
    apply_survey_answer(payload["case_id"], payload["rating"], payload.get("comment", ""))


@eventbus.subscribe("survey.expired", queue="intake")
def close_after_survey_timeout(event: str, payload: dict) -> None:
    apply_survey_timeout(payload["case_id"])


@eventbus.subscribe("case.submitted", queue="intake")
def look_for_duplicates(event: str, payload: dict) -> None:
    flag_possible_duplicate(payload["case_id"])
