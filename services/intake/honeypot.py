"""A honeypot against naive bots on the citizen's QR form.

The form carries one extra input, FIELD, that people never see (moved off-screen by site.css,
out of the tab order and hidden from screen readers); bots that fill every input they find
fill it too. A filled honeypot stores nothing, and the answer looks like a success so the bot
learns nothing to adapt to.

Only the browser form has it: the public API's clients are programs that build their request
from the entry point's declaration, for which a hidden input means nothing; there the limits
per client and per phone number (config/edge.py) do the work, and an unknown field is refused.
"""

from typing import Any

from django.http import QueryDict

# A name autofill does not know (so a person's browser leaves it empty) and bots find tempting.
FIELD = "homepage_url"


def filled(data: Any) -> bool:
    value = data.get(FIELD, "")
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def without(data: QueryDict) -> QueryDict:
    """The submission as the form expects it: the honeypot is not one of its fields."""
    if FIELD not in data:
        return data
    cleaned = data.copy()
    cleaned.pop(FIELD)
    return cleaned
