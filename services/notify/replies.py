"""Reading a citizen's survey reply: 1–5, full-width digits or the words themselves."""

import re
import unicodedata

# 1 is best: the order the survey SMS lists them in.
RATING_WORDS = {
    "非常满意": 1,
    "满意": 2,
    "基本满意": 3,
    "不满意": 4,
    "非常不满意": 5,
}
SATISFIED_UP_TO = 3
OPT_OUT_WORDS = {"退订", "TD", "STOP", "UNSUBSCRIBE"}

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _compact(text: str) -> str:
    """NFKC folds full-width digits and letters; punctuation and spaces go."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).upper()


def parse_rating(text: str) -> int | None:
    """The rating a reply gives, or None when it is not a rating."""
    compact = _compact(text)
    if compact in {"1", "2", "3", "4", "5"}:
        return int(compact)
    return RATING_WORDS.get(compact)


def is_opt_out(text: str) -> bool:
    return _compact(text) in OPT_OUT_WORDS


def is_satisfied(rating: int) -> bool:
    return rating <= SATISFIED_UP_TO
