"""Citizens' phone numbers: a keyed hash for lookups, a mask for logs and lists.

Every service may import this module (it imports nothing of theirs). Lookups by phone compare
`phone_hash(e164)` with a stored hash column, never the plaintext number, so an index of hashes
is all a lookup touches; logs and staff lists show `mask_phone` (138****5678).

The key is settings.PHONE_HASH_KEY (env `PHONE_HASH_KEY`), by default derived from SECRET_KEY.
Rotation limits: a new key (or a new SECRET_KEY while PHONE_HASH_KEY is unset) makes every stored
hash stale, so lookups find nothing until `manage.py rehash_phones` has recomputed them from the
numbers still stored; anonymised cases have no number left and stay unfindable, as intended.
"""

import hashlib
import hmac
import logging
import re

from django.conf import settings

# Any run of seven or more digits: broad, for text that is about a number anyway (a provider's
# error message about the recipient).
_PHONE = re.compile(r"\+?\d[\d\- ]{6,}\d")
# What is most likely a phone number in prose or a log line: a Chinese mobile (+86 138 1234
# 5678, 138-1234-5678), a landline with its area code (0576-86123456) or any E.164 number,
# also URL-encoded (%2B86…, as HTTP clients log query strings).
# Narrower than _PHONE so that dates, tracking numbers (261124-03817) and ids survive: digits
# inside a run of letters and digits are part of a hex id (task and request ids, hashes), and
# so is a uuid's last group (a dash after a hex digit), so neither is a number.
_NOT_IN_ID_BEFORE = r"(?<![0-9A-Za-z+])(?<![0-9A-Fa-f]-)"
_NOT_IN_ID_AFTER = r"(?![0-9A-Za-z])"
_LIKELY_PHONE = re.compile(
    rf"{_NOT_IN_ID_BEFORE}(?:(?:\+|%2B)\d{{1,3}}[\- ]?)?"
    rf"(?:1[3-9]\d[\- ]?\d{{4}}[\- ]?\d{{4}}|0\d{{2,3}}-?\d{{7,8}}){_NOT_IN_ID_AFTER}"
    rf"|{_NOT_IN_ID_BEFORE}(?:\+|%2B)\d{{8,15}}{_NOT_IN_ID_AFTER}"
)


def keep_hash_in_step(instance, phone_field: str, hash_field: str, save_kwargs: dict) -> None:
    """For a model's save(): sets the hash from the number, and saves it whenever the number
    is among the update_fields."""
    setattr(instance, hash_field, phone_hash(getattr(instance, phone_field)))
    update_fields = save_kwargs.get("update_fields")
    if update_fields is not None and phone_field in update_fields:
        save_kwargs["update_fields"] = {*update_fields, hash_field}


def _key() -> bytes:
    key = getattr(settings, "PHONE_HASH_KEY", "")
    if key:
        return key.encode()
    # Derived rather than SECRET_KEY itself: the hash must not double as a Django signature.
    return hmac.new(settings.SECRET_KEY.encode(), b"gongzhima.phone-hash", "sha256").digest()


def phone_hash(phone: str) -> str:
    """HMAC-SHA256 (hex) of a normalised E.164 number; "" for no number.

    Callers normalise first (services.identifiers.phones): the hash of "13812345678" and of
    "+8613812345678" differ, so only the E.164 form may be hashed.
    """
    if not phone:
        return ""
    return hmac.new(_key(), phone.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a caller, not enough to call them.

    Chinese numbers drop their +86; others keep their digits without the "+".
    """
    if not phone:
        return ""
    digits = phone.removeprefix("+86") if phone.startswith("+86") else phone.lstrip("+")
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_text(text: str) -> str:
    """Masks anything in free text (an error message, a description) that looks like a number."""
    return _PHONE.sub(lambda m: mask_phone(re.sub(r"[\- ]", "", m.group())), text)


def mask_likely_phones(text: str) -> str:
    """Masks the phone numbers in prose or a log line, leaving dates and ids alone."""
    return _LIKELY_PHONE.sub(
        lambda m: mask_phone(re.sub(r"[\- ]", "", m.group().replace("%2B", "+"))), text
    )


def scrub_text(text: str) -> str:
    """Removes the phone numbers from prose entirely (retention: nothing of them is left)."""
    return _LIKELY_PHONE.sub("[号码已删除]", text)


class PhoneMaskingFilter(logging.Filter):
    """Safety net on the log handlers: a number a log line forgot to mask is masked here.

    Log lines should still call mask_phone themselves; this catches the ones that did not,
    including third-party loggers (an HTTP client logging a URL with a number in it).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as it would
            return True
        masked = mask_likely_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def rehash(rows, phone_field: str, hash_field: str, batch_size: int = 2000) -> int:
    """Recomputes `hash_field` from `phone_field` for every row of a queryset; returns how many
    changed. Used by the data migrations and by `rehash_phones` after a key change."""
    model = rows.model
    changed, batch = 0, []
    for row in rows.only("pk", phone_field, hash_field).iterator(chunk_size=batch_size):
        digest = phone_hash(getattr(row, phone_field))
        if getattr(row, hash_field) != digest:
            setattr(row, hash_field, digest)
            batch.append(row)
        if len(batch) >= batch_size:
            changed += len(batch)
            model.objects.bulk_update(batch, [hash_field])
            batch = []
    changed += len(batch)
    model.objects.bulk_update(batch, [hash_field])
    return changed
