"""就近派遣: a rule may hand its case to the nearest on-duty officer of its department.

The rule (which department, how far) is configuration and cached with the rules; where the
officers are is not: it is asked of the directory afresh for every case, so an officer who
just went on duty, moved or went silent counts at once.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from services.directory import api as directory
from services.intake import api as intake

from .rules import CompiledRule, Routable


class Fallback:
    """Why a nearest-officer rule left the case to the department as a whole."""

    NO_LOCATION = "no_location"
    NOBODY_ON_DUTY = "nobody_on_duty"
    TOO_FAR = "too_far"


@dataclass(frozen=True)
class OfficerChoice:
    """Who a nearest-officer rule chose, or why nobody (then the department has the case)."""

    within_km: float
    officer_id: int | None = None
    officer_name: str = ""
    distance_km: float | None = None
    fallback: str = ""
    on_duty: int = 0  # the department's officers on duty (fresh positions), when none fit
    nearest_beyond_km: float | None = None

    def explanation(self) -> str:
        """The choice in the reader's language (试运行)."""
        params = self._params()
        if self.officer_id is not None:
            return (
                _("就近派给 %(officer)s：距案件约 %(km)s 公里（范围 %(within)s 公里）。") % params
            )
        return _(FALLBACK_TEXT[self.fallback]) % params

    def note(self) -> intake.SystemNote:
        """The timeline's record of the choice (stored untranslated, shown in each language)."""
        if self.officer_id is not None:
            text = gettext_noop("就近派给 %(officer)s（距案件约 %(km)s 公里）。")
        else:
            text = FALLBACK_TEXT[self.fallback]
        return intake.SystemNote(text, self._params())

    def _params(self) -> dict:
        return {
            "officer": self.officer_name,
            "km": _km(self.distance_km),
            "within": _km(self.within_km),
            "n": self.on_duty,
            "nearest": _km(self.nearest_beyond_km),
        }


def _km(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


FALLBACK_TEXT = {
    Fallback.NO_LOCATION: gettext_noop("案件没有位置，无法就近派遣：派给承办部门。"),
    Fallback.NOBODY_ON_DUTY: gettext_noop(
        "承办部门当前没有在岗外勤人员（10 分钟内无定位视为不在岗）：派给承办部门。"
    ),
    Fallback.TOO_FAR: gettext_noop(
        "承办部门在岗 %(n)s 人，最近的距案件约 %(nearest)s 公里，超出 %(within)s 公里范围："
        "派给承办部门。"
    ),
}


def choose_officer(tenant_id: int, rule: CompiledRule, case: Routable) -> OfficerChoice | None:
    """The officer the rule names for the case; None when the rule does not dispatch by
    distance. Reads positions live (never cached)."""
    if rule.nearest_km is None:
        return None
    if case.latitude is None or case.longitude is None:
        return OfficerChoice(rule.nearest_km, fallback=Fallback.NO_LOCATION)
    found = directory.nearest_on_duty(
        tenant_id, rule.department_id, case.latitude, case.longitude, rule.nearest_km
    )
    if found.officer is not None:
        return OfficerChoice(
            rule.nearest_km,
            officer_id=found.officer.user_id,
            officer_name=found.officer.name,
            distance_km=found.officer.distance_km,
        )
    return OfficerChoice(
        rule.nearest_km,
        fallback=Fallback.TOO_FAR if found.on_duty else Fallback.NOBODY_ON_DUTY,
        on_duty=found.on_duty,
        nearest_beyond_km=found.nearest_beyond_km,
    )
