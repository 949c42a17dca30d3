"""Intake's reactions to other services' events."""

from services import eventbus
from services.notify import events as notify_events

from . import events
from .duplicates import flag_possible_duplicate
from .workflow import apply_survey_answer, apply_survey_timeout


@eventbus.subscribe(notify_events.SurveyAnswered, queue="intake")
def close_or_reopen_after_survey(event: notify_events.SurveyAnswered) -> None:
    # Intake decides close or reopen by the scale itself, not by the event's `satisfied`.
    apply_survey_answer(event.case_id, event.rating, event.comment)


@eventbus.subscribe(notify_events.SurveyExpired, queue="intake")
def close_after_survey_timeout(event: notify_events.SurveyExpired) -> None:
    apply_survey_timeout(event.case_id)


@eventbus.subscribe(events.CaseSubmitted, queue="intake")
def look_for_duplicates(event: events.CaseSubmitted) -> None:
    flag_possible_duplicate(event.case_id)
