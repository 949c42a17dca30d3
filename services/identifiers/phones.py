"""Phone numbers (手机号码): the one parser.

`normalise_phone` turns what was typed into E.164 (+8613812345678). phonenumbers folds every
spelling: full-width and other Unicode digits, spaces and dashes of any width, +86 / 0086 / 86
and a national 0, an extension. Whatever is stored, hashed, looked up or counted by a limit is
this value, so no spelling of one number counts as another number.
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A term that is a phone number and nothing else: at least seven digits of any script.
_ONLY_A_NUMBER = re.compile(r"(?=(?:\D*\d){7})[\d\s+\-().\/‐‑‒–—―−]+")


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("请输入有效的手机号码，例如 13812345678。"), code="invalid_phone")
    return number


def normalise_phone(raw: str, region: str) -> str:
    """E.164 form of a phone number as typed, or ValidationError.

    `region` (the tenant's 默认号码地区) says whose national numbers those without an
    international prefix are.
    """
    return phonenumbers.format_number(
        _parse(raw.strip(), region), phonenumbers.PhoneNumberFormat.E164
    )


def normalised_or_empty(raw: str, region: str) -> str:
    """normalise_phone, or "" for what is not a phone number (nothing to count or find)."""
    try:
        return normalise_phone(raw, region)
    except ValidationError:
        return ""


def phone_search_term(term: str, region: str) -> str:
    """The number a staff search box term is, when it is nothing but a phone number (digits,
    spaces, + - ( ) . /); "" for anything else, which is searched as text."""
    if not _ONLY_A_NUMBER.fullmatch(unicodedata.normalize("NFKC", term).strip()):
        return ""
    return normalised_or_empty(term, region)


def is_domestic(e164: str, region: str) -> bool:
    """Whether a normalised number belongs to the country of `region` (by its calling code:
    +86 for CN; Hong Kong's +852 is abroad)."""
    number = phonenumbers.parse(e164, region)
    return number.country_code == phonenumbers.country_code_for_region(region)


def last_four_digits(raw: str) -> str:
    """The phone's last four digits as a citizen types them for the status lookup, in ASCII
    ("５６７８" and "٥٦٧٨" are 5678); "" unless exactly four digits were typed."""
    digits = unicodedata.normalize("NFKC", raw).strip()
    if len(digits) != 4 or not all(ch.isdecimal() for ch in digits):
        return ""
    return "".join(str(unicodedata.decimal(ch)) for ch in digits)
