"""Reading a citizen's SMS reply (回复): a rating 1–5 with an optional comment, a tracking
number naming which survey it answers, or 退订 / 订阅.

Accepted ratings: 1–5 in half- or full-width digits, 一…五, the words themselves (非常满意 …
非常不满意), with or without spaces, punctuation or a trailing 分; optionally followed by a
comment ("不满意，噪音还在"). Anything else is not a rating, and the citizen gets one help SMS.
"""

import re
import unicodedata
from dataclasses import dataclass

from services import satisfaction
from services.identifiers.tracking_numbers import find_in_text

# The scale's own words (非常满意 …), whatever language the worker runs in.
RATING_WORDS = {word: rating for rating, word in satisfaction.WORDS.items()}
_NUMERALS = {
    **{str(rating): rating for rating in satisfaction.RATINGS},
    **dict(zip("一二三四五", satisfaction.RATINGS, strict=True)),
}
# "回T退订" / "回TD退订" are how Chinese SMS say it; STOP is what Twilio numbers understand.
OPT_OUT_WORDS = {"退订", "T", "TD", "STOP", "UNSUBSCRIBE", "取消订阅"}
OPT_IN_WORDS = {"订阅", "恢复订阅", "START", "UNSTOP"}

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# A rating followed by a comment. Longest words first, so 非常不满意 is not read as 不满意 or
# 满意; Chinese numerals only count alone (一般 is "so-so", not a 1).
_RATING = "|".join(sorted(RATING_WORDS, key=len, reverse=True))
_DIGITS = "".join(str(rating) for rating in satisfaction.RATINGS)
_LEADING_RATING = re.compile(
    rf"^[\s\W_]*(?P<rating>{_RATING}|[{_DIGITS}](?!\d))(?:\s*分)?(?P<rest>.*)$", re.DOTALL
)
_COMMENT_EDGE = " \t\r\n,，.。!！?？;；:：、-—~…'\"“”‘’()（）【】[]"
_TRACKING_PREFIX = re.compile(r"(受理)?编号\s*[:：]?")


@dataclass(frozen=True)
class Reply:
    rating: int
    comment: str


def _normal(text: str) -> str:
    """NFKC folds full-width digits, letters and punctuation to their plain forms."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _compact(text: str) -> str:
    return _NOISE.sub("", _normal(text)).upper()


def _value(token: str) -> int:
    return RATING_WORDS.get(token) or _NUMERALS[token]


def parse_reply(text: str) -> Reply | None:
    """The rating (and comment) a reply gives, or None when it is not a rating."""
    alone = _rating_alone(text)
    if alone is not None:
        return Reply(alone, "")
    match = _LEADING_RATING.match(_normal(text))
    if match is None:
        return None
    comment = match.group("rest").strip(_COMMENT_EDGE)
    if _rating_alone(comment) is not None or comment[:1].isdigit():
        return None  # "1 2", "3 5分": two ratings, which one?
    return Reply(_value(match.group("rating")), comment)


def _rating_alone(text: str) -> int | None:
    """A reply that is nothing but a rating: "1", "１。", "五分", "非常 满意！"."""
    compact = _compact(text)
    whole = compact.removesuffix("分")
    if whole in RATING_WORDS or whole in _NUMERALS:
        return _value(whole)
    return None


def parse_rating(text: str) -> int | None:
    """Just the rating of a reply, or None."""
    reply = parse_reply(text)
    return reply.rating if reply else None


def is_opt_out(text: str) -> bool:
    return _compact(text) in OPT_OUT_WORDS


def is_opt_in(text: str) -> bool:
    return _compact(text) in OPT_IN_WORDS


def find_tracking_number(text: str, numbers: list[str]) -> tuple[str | None, str]:
    """Which of `numbers` the reply names, and the reply without it.

    Read by the one tracking-number parser (services.identifiers.tracking_numbers): with or
    without the dash, spaced, full-width — never inside a longer run of digits.
    """
    for found in find_in_text(text):
        if found.number in numbers:
            return found.number, _TRACKING_PREFIX.sub(" ", f"{found.before} {found.after}").strip()
    return None, _normal(text)
