"""Notify's events (回访与提醒事件): the citizen's survey answer, its timeout, staff alerts."""

from dataclasses import dataclass

from services.eventbus.declarations import Event


class SurveyAnswered(Event, name="survey.answered"):
    """回访评价: the citizen rated the handling (scale: services.satisfaction)."""

    case_id: int
    survey_id: int
    rating: int
    comment: str = ""
    satisfied: bool


class SurveyExpired(Event, name="survey.expired"):
    """回访超时: the survey window passed with no answer."""

    case_id: int
    survey_id: int


@dataclass(frozen=True)
class AlertRecipient:
    """One staff member alerted, and their alert (督办提醒) row."""

    user_id: int
    alert_id: int


class StaffAlerted(Event, name="staff.alerted"):
    """督办提醒: staff were alerted about a case (overdue, escalated)."""

    case_id: int
    kind: str
    text: str
    recipients: tuple[AlertRecipient, ...]
