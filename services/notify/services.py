"""The web survey (一键评价) as the pages see it: a snapshot by token, and the answer."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from .models import Survey
from .replies import is_satisfied
from .surveys import answer_survey

RATING_LABELS = {
    1: _("非常满意"),
    2: _("满意"),
    3: _("基本满意"),
    4: _("不满意"),
    5: _("非常不满意"),
}


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
        return str(RATING_LABELS.get(self.rating, ""))

    @property
    def choices(self) -> list[tuple[int, str]]:
        return [(value, str(label)) for value, label in RATING_LABELS.items()]


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
        satisfied=None if survey.rating is None else is_satisfied(survey.rating),
        expires_at=survey.expires_at,
    )


def answer_survey_by_token(token: str, rating: int, comment: str = "") -> bool:
    """The one-tap web survey. False when there is no such open survey."""
    if rating not in (1, 2, 3, 4, 5):
        raise ValueError(f"rating must be 1–5, not {rating!r}")
    with scopes_disabled():
        survey_id = (
            Survey.objects.filter(token=token, state=Survey.State.OPEN)
            .values_list("pk", flat=True)
            .first()
        )
    if survey_id is None:
        return False
    return answer_survey(survey_id, rating, comment.strip()[:1000], via=Survey.Channel.WEB)
