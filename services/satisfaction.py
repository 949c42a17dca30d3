"""The satisfaction scale (满意度): what a citizen's rating 1–5 means, in one place.

1 = 非常满意 … 5 = 非常不满意, in the order the survey SMS lists them: the first digit a citizen
reads is the best answer. 1–3 (非常满意, 满意, 基本满意) count as satisfied and close the case;
4–5 (不满意, 非常不满意) are dissatisfied and reopen it (a second time: 督办). Averages are on
the same scale, so a lower average is better; the share satisfied (满意率) is the share of 1–3.

The survey SMS, the reply parser, the web survey, the reopen rule, the dashboard, the monthly
report and its governance index all ask this module. Every service may import it; it imports
nothing of theirs (an import-linter contract keeps it so).
"""

from django.db.models import Q
from django.utils.translation import gettext, gettext_noop, override

VERY_SATISFIED = 1
SATISFIED = 2
FAIRLY_SATISFIED = 3
DISSATISFIED = 4
VERY_DISSATISFIED = 5

# The words themselves, as the survey SMS lists them: the reply parser reads these whatever
# language the page or worker runs in; people see them through the catalogue (label()).
WORDS: dict[int, str] = {
    VERY_SATISFIED: gettext_noop("非常满意"),
    SATISFIED: gettext_noop("满意"),
    FAIRLY_SATISFIED: gettext_noop("基本满意"),
    DISSATISFIED: gettext_noop("不满意"),
    VERY_DISSATISFIED: gettext_noop("非常不满意"),
}
RATINGS: tuple[int, ...] = tuple(WORDS)
BEST, WORST = RATINGS[0], RATINGS[-1]
SATISFIED_RATINGS = frozenset({VERY_SATISFIED, SATISFIED, FAIRLY_SATISFIED})


def is_rating(value: object) -> bool:
    """A whole number on the scale ("3" from a form counts; "3.0", 0 and 6 do not)."""
    return isinstance(value, int | str) and str(value).strip() in {str(r) for r in RATINGS}


def is_satisfied(rating: int) -> bool:
    """满意: closes the case, and counts towards the share satisfied."""
    return rating in SATISFIED_RATINGS


def reopens(rating: int) -> bool:
    """不满意: the case goes back to its department (after a second time, to the command room)."""
    return not is_satisfied(rating)


def satisfied_q(field: str = "rating") -> Q:
    """The satisfied ratings as a database filter, for counting in a query."""
    return Q(**{f"{field}__in": sorted(SATISFIED_RATINGS)})


def label(rating: int | None) -> str:
    """The rating's name in the active language; "" for none."""
    return gettext(WORDS[rating]) if rating in WORDS else ""


def choices() -> list[tuple[int, str]]:
    """(rating, name) best first, as the web survey offers them."""
    return [(rating, label(rating)) for rating in RATINGS]


def average_label(average: float | None) -> str:
    """What an average rating means: the name of the nearest rating ("" for none)."""
    if average is None:
        return ""
    return label(min(RATINGS, key=lambda rating: abs(rating - average)))


def menu(language: str, *, short: bool = False) -> str:
    """The scale as an SMS lists it, in `language`: "1非常满意 2满意 … 5非常不满意", or with
    `short` just its two ends "1非常满意…5非常不满意"."""
    with override(language):
        shown = (BEST, WORST) if short else RATINGS
        if language.startswith("zh"):
            return ("…" if short else " ").join(f"{r}{label(r)}" for r in shown)
        return (" … " if short else ", ").join(f"{r} {label(r).lower()}" for r in shown)


def satisfied_meaning() -> str:
    """What counts as satisfied, for the help text of the report and the dashboard."""
    # The list separator is a word of its own language ("、" in Chinese, ", " in English).
    names = gettext("、").join(label(r) for r in RATINGS if r in SATISFIED_RATINGS)
    return gettext("评价为%(names)s（%(low)d–%(high)d）") % {
        "names": names,
        "low": min(SATISFIED_RATINGS),
        "high": max(SATISFIED_RATINGS),
    }
