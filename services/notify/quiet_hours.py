"""Quiet hours (免打扰时段): when non-urgent SMS wait, in the tenant's local time."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured


def parse_window(text: str) -> tuple[time, time] | None:
    """ "22:00-08:00" → (22:00, 08:00); "" → None (no quiet hours)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"Quiet hours must look like 22:00-08:00, not {text!r}") from exc
    return start, end


def is_quiet(moment: time, start: time, end: time) -> bool:
    """Whether a local time of day is inside the window; a window may span midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def release_time(now: datetime, start: time | None, end: time | None, tz: str) -> datetime | None:
    """When quiet hours that contain `now` end (aware), or None if `now` is not quiet."""
    if start is None or end is None:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    if not is_quiet(local.time(), start, end):
        return None
    release = datetime.combine(local.date(), end, tzinfo=zone)
    if release <= local:
        release += timedelta(days=1)
    return release
