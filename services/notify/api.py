"""Public interface of notify: what the pages call for the web survey."""

from .services import answer_survey, survey_by_token

__all__ = ["answer_survey", "survey_by_token"]
