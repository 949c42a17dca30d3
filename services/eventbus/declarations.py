"""Event declarations (事件声明): a name and a typed, frozen payload, checked when published.

A publishing service declares each of its events once, in its `events` module::

    class CaseSubmitted(eventbus.Event, name="case.submitted"):
        \"\"\"受理: a case was stored whole.\"\"\"

        case_id: int

The class is a frozen, keyword-only dataclass. A subclass without `name` is no event, only
fields several declarations share. Every event carries `tenant_id` (subscribers run
scoped to it) and `at`, the time of the change (stamped by `publish` when the publisher leaves it
out). A field may be a bool, int, float, str, datetime, another frozen dataclass of such fields,
a tuple of one of these, or any of them `| None`: what survives a JSON round trip unchanged,
because the payload is stored as JSON in the task row.

On the queue an event is its name and a JSON object of its fields (the format before the
declarations existed), so task rows written earlier still deliver.
"""

import dataclasses
import functools
import json
import types
import typing
from datetime import datetime
from typing import Any, ClassVar, Union, dataclass_transform

from django.utils.dateparse import parse_datetime

_SCALARS = (bool, int, float, str)

# Every declaration, by event name.
_declared: dict[str, type["Event"]] = {}


@dataclass_transform(kw_only_default=True, frozen_default=True)
@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event declaration; a subclass names its event: `class X(Event, name=...)`."""

    name: ClassVar[str]

    tenant_id: int
    at: datetime | None = None

    def __init_subclass__(cls, *, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        _check_declaration(cls)
        if name is None:
            return  # fields several events share; not an event of its own
        cls.name = name
        earlier = _declared.get(name)
        if earlier is not None and _qualified(earlier) != _qualified(cls):
            raise TypeError(
                f"Event {name!r} is declared twice: {_qualified(earlier)}, {_qualified(cls)}"
            )
        _declared[name] = cls

    def __post_init__(self) -> None:
        if "name" not in vars(type(self)):
            raise TypeError(f"{type(self).__qualname__} declares shared fields, not an event")
        hints = _hints(type(self))  # type: ignore[arg-type]  # a class hashes by identity
        for field in dataclasses.fields(self):
            _check_value(getattr(self, field.name), hints[field.name], f"{self.name}.{field.name}")

    def as_payload(self) -> dict[str, Any]:
        """The fields as a JSON object, the form stored in the task row."""
        payload = _to_json(self)
        try:
            json.dumps(payload, allow_nan=False)
        except (TypeError, ValueError) as exc:  # a NaN, say: valid Python, not JSON
            raise TypeError(f"Event {self.name} is not JSON-serialisable: {exc}") from exc
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Event":
        """The event back from its stored JSON. Keys this declaration no longer has (a row
        written by an older release) are ignored; a field added since must have a default."""
        return _from_json(cls, payload)


def declared() -> dict[str, type[Event]]:
    """Every event declared so far (the apps' `events` modules are imported by then)."""
    return dict(_declared)


def declaration(name: str) -> type[Event] | None:
    return _declared.get(name)


def forget(cls: type[Event]) -> None:
    """Drops a declaration (for tests that declare a throwaway event)."""
    if _declared.get(cls.name) is cls:
        del _declared[cls.name]


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The class's resolved annotations, once per class (every event made asks for them)."""
    return typing.get_type_hints(cls)


def _check_declaration(cls: type) -> None:
    """Refuses, at import time, a field of a type that does not survive the JSON round trip."""
    hints = _hints(cls)
    for field in dataclasses.fields(cls):
        _check_annotation(hints[field.name], f"{_qualified(cls)}.{field.name}")


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _check_annotation(annotation: Any, where: str) -> None:
    if annotation in _SCALARS or annotation is datetime or annotation is type(None):
        return
    if _is_union(annotation):
        for member in typing.get_args(annotation):
            _check_annotation(member, where)
        return
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            _check_annotation(args[0], where)
            return
    if (
        isinstance(annotation, type)
        and dataclasses.is_dataclass(annotation)
        and getattr(annotation, "__dataclass_params__").frozen  # noqa: B009 (not in the stubs)
    ):
        hints = _hints(annotation)
        for field in dataclasses.fields(annotation):
            _check_annotation(hints[field.name], f"{where}.{field.name}")
        return
    raise TypeError(f"{where}: {annotation!r} is not a type an event may carry")


def _matches(value: Any, annotation: Any) -> bool:
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation in (str, datetime):
        return isinstance(value, annotation)
    if _is_union(annotation):
        return any(_matches(value, member) for member in typing.get_args(annotation))
    if typing.get_origin(annotation) is tuple:
        item = typing.get_args(annotation)[0]
        return isinstance(value, tuple) and all(_matches(v, item) for v in value)
    # A nested frozen dataclass: each of its fields too.
    hints = _hints(annotation)
    return isinstance(value, annotation) and all(
        _matches(getattr(value, f.name), hints[f.name]) for f in dataclasses.fields(annotation)
    )


def _check_value(value: Any, annotation: Any, where: str) -> None:
    if not _matches(value, annotation):
        raise TypeError(f"{where} must be {_describe(annotation)}, not {value!r}")


def _describe(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _from_json(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _parse(v, hints[k]) for k, v in data.items() if k in known})


def _parse(value: Any, annotation: Any) -> Any:
    if value is None:
        return None
    if annotation is datetime:
        return parse_datetime(value) if isinstance(value, str) else value
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if _is_union(annotation):
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
        return _parse(value, members[0]) if len(members) == 1 else value
    if typing.get_origin(annotation) is tuple and isinstance(value, list):
        item = typing.get_args(annotation)[0]
        return tuple(_parse(v, item) for v in value)
    if (
        isinstance(annotation, type)
        and dataclasses.is_dataclass(annotation)
        and isinstance(value, dict)
    ):
        return _from_json(annotation, value)
    return value
