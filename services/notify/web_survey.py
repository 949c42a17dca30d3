"""The web survey (一键评价) as the pages see it: a snapshot by token, and the answer."""

from dataclasses import dataclass
from datetime import datetime

from django_scopes import scopes_disabled

from services import satisfaction

from .models import Survey
from .surveys import answer_survey


@dataclass(frozen=True)
class SurveyView:
    """What the web survey page needs: the tracking number and the state, and the case (the
    page asks intake for the result being rated)."""

    token: str
    case_id: int
    tracking_number: str
    state: str  # open | answered | expired | cancelled
    rating: int | None
    comment: str
    satisfied: bool | None
    expires_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state == Survey.State.OPEN

    @property
    def rating_label(self) -> str:
        return satisfaction.label(self.rating)

    @property
    def choices(self) -> list[tuple[int, str]]:
        return satisfaction.choices()


def survey_by_token(token: str) -> SurveyView | None:
    with scopes_disabled():
        survey = Survey.objects.filter(token=token).first()
    if survey is None:
        return None
    return SurveyView(
        token=survey.token,
        case_id=survey.case_id,
        tracking_number=survey.tracking_number,
        state=survey.state,
        rating=survey.rating,
        comment=survey.comment,
        satisfied=None if survey.rating is None else satisfaction.is_satisfied(survey.rating),
        expires_at=survey.expires_at,
    )


def answer_survey_by_token(token: str, rating: int, comment: str = "") -> bool:
    """The one-tap web survey. False when there is no such open survey."""
    if not satisfaction.is_rating(rating):
        raise ValueError(f"rating must be one of {satisfaction.RATINGS}, not {rating!r}")
    with scopes_disabled():
        survey_id = (
            Survey.objects.filter(token=token, state=Survey.State.OPEN)
            .values_list("pk", flat=True)
            .first()
        )
    if survey_id is None:
        return False
    return answer_survey(survey_id, rating, comment.strip()[:1000], via=Survey.Channel.WEB)
