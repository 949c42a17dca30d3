"""Comparisons on a scenario's extra fields (场景字段条件), e.g. `workers_affected >= 10`.

Values are compared as numbers when both sides read as numbers (intake stores amounts as
"36000.00" and counts as integers), otherwise as text, which orders ISO dates correctly.
"""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "contains": lambda have, want: str(want) in str(have),
}
# Longest first, so ">=" is not read as ">" followed by "=10".
_LINE = re.compile(
    r"^\s*(?P<field>[A-Za-z_][A-Za-z0-9_-]*)\s*(?P<op>==|!=|>=|<=|>|<|contains)\s*(?P<value>.+?)\s*$"
)


def number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


@dataclass(frozen=True)
class FieldCondition:
    field: str
    op: str
    value: str

    def holds(self, extra: dict[str, Any]) -> bool:
        if self.field not in extra or extra[self.field] in (None, ""):
            return False
        have = extra[self.field]
        compare = OPERATORS[self.op]
        if self.op != "contains":
            have_n, want_n = number(have), number(self.value)
            if have_n is not None and want_n is not None:
                return compare(have_n, want_n)
        return compare(str(have), self.value)

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "op": self.op, "value": self.value}


class ConditionSyntaxError(ValueError):
    pass


def parse_line(line: str) -> FieldCondition:
    """Reads "workers_affected >= 10" (the admin's one-condition-per-line text)."""
    found = _LINE.match(line)
    if not found:
        raise ConditionSyntaxError(
            _("无法识别条件“%(line)s”，格式应为：字段名 运算符 值，例如 workers_affected >= 10")
            % {"line": line.strip()}
        )
    value = found["value"].strip().strip("\"'")
    return FieldCondition(found["field"], found["op"], value)


def from_data(data: list[dict[str, Any]]) -> list[FieldCondition]:
    return [FieldCondition(str(c["field"]), str(c["op"]), str(c["value"])) for c in data or ()]


def to_text(data: list[dict[str, Any]]) -> str:
    return "\n".join(c.describe() for c in from_data(data))
