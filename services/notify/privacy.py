"""Phone numbers never reach operator logs whole: 138****5678."""

import re

_PHONE = re.compile(r"\+?\d[\d\- ]{6,}\d")


def mask_phone(phone: str) -> str:
    """+8613812345678 → +86138****5678: enough to tell numbers apart, not to call one."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "****"
    return f"{phone[:-8]}****{phone[-4:]}"


def mask_text(text: str) -> str:
    """Masks anything in free text (e.g. a provider's error message) that looks like a number."""
    return _PHONE.sub(lambda m: mask_phone(re.sub(r"[\- ]", "", m.group())), text)
