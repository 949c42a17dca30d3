"""JSON request bodies (请求体), read in one place: a body either parses into plain values no
deeper than MAX_DEPTH, or is refused with one clear, localised reason.

Python's json module recurses once per level of nesting, so a body of a hundred thousand "["
ends in RecursionError rather than a parse error, and a body that parses but nests hundreds
deep makes every later walk over it (validation, storage, rendering) recurse as deep. Every
path that reads a JSON body asks this module: DRF's parser (JSONParser below, the API's
default) and the edge's rate-limit keys (config/edge.py).
"""

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Submissions are flat objects of texts and lists of texts; this leaves room for any
# integration's envelope while keeping every walk over a body shallow.
MAX_DEPTH = 32


class UnreadableBody(ValueError):
    """The body is not JSON this service reads; str() is the reason, for the client."""


def _refuse_constant(name: str) -> float:
    raise ValueError(name)  # NaN and ±Infinity are not JSON, whatever Python's json accepts


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels, found without recursing."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def _too_deep() -> UnreadableBody:
    return UnreadableBody(
        _("请求体不是可接受的 JSON：嵌套超过 %(limit)d 层。") % {"limit": MAX_DEPTH}
    )


def parse(raw: bytes | str, encoding: str = "utf-8") -> Any:
    """The value of a JSON body, or UnreadableBody saying why there is none."""
    try:
        text = raw.decode(encoding) if isinstance(raw, bytes) else raw
    except (UnicodeDecodeError, LookupError):
        raise UnreadableBody(
            _("请求体不是可接受的 JSON：不是 %(encoding)s 编码的文本。") % {"encoding": encoding}
        ) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as error:
        raise UnreadableBody(
            _("请求体不是有效的 JSON：第 %(line)d 行第 %(column)d 列有误。")
            % {"line": error.lineno, "column": error.colno}
        ) from None
    except ValueError:  # NaN / Infinity, or a number too long to read
        raise UnreadableBody(_("请求体不是有效的 JSON：含有无法读取的数值。")) from None
    if _deeper_than(value, MAX_DEPTH):
        raise _too_deep()
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, reading through parse(): a refused body is a 400 with its reason."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return parse(stream.read(), encoding)
        except UnreadableBody as refused:
            raise ParseError(str(refused)) from None
