"""Tracking numbers (受理编号): the one format and the one parser.

Issued as YYMMDD-NNNNN (the local date and five random digits), readable aloud. Citizens type
them back with or without the dash, with a space, an underscore or a dot, with dashes and
digits of any width or script (２６１２０１－５２０３８, 26120152038, 261201 52038). The status
page, SMS replies, the desk, the API, admin searches and the status lookup's rate limit all
read a number through this module, so every spelling of one number is that one number.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

# After NFKC: full-width dashes and the ideographic space are plain; the other dashes are not.
_SEPARATOR = r"[\s\-_.·‐‑‒–—―−]*"
# `\d` is any Unicode decimal digit; never part of a longer run of digits.
_NUMBER = re.compile(rf"(?<!\d)(\d{{6}}){_SEPARATOR}(\d{{5}})(?!\d)")


def compose(day: date, serial: int) -> str:
    """The number issued for a case: 261124-03817."""
    return f"{day:%y%m%d}-{serial:05d}"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _ascii(digits: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in digits)


def _canonical(match: re.Match | None) -> str:
    """The number as issued, or "" when the first six digits are no date: an 11-digit
    mobile number (13812345678) is not read as a tracking number."""
    if match is None:
        return ""
    day = _ascii(match.group(1))
    try:
        datetime.strptime(day, "%y%m%d")
    except ValueError:
        return ""
    return f"{day}-{_ascii(match.group(2))}"


def normalise_tracking_number(raw: str) -> str:
    """The number as issued (261124-03817), or "" when `raw` is not a tracking number."""
    return _canonical(_NUMBER.fullmatch(_fold(raw).strip()))


@dataclass(frozen=True)
class Found:
    """A tracking number named in a text, and the text around it (folded by NFKC)."""

    number: str
    before: str
    after: str


def find_in_text(text: str) -> Iterator[Found]:
    """Every tracking number a free text (an SMS reply) names, in order."""
    folded = _fold(text)
    for match in _NUMBER.finditer(folded):
        number = _canonical(match)
        if number:
            yield Found(number, folded[: match.start()], folded[match.end() :])
