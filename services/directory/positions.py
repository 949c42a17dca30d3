"""外勤定位与就近查找: field officers on duty share where they are; dispatch asks who is nearest.

Storage without PostGIS: one row per officer with latitude/longitude floats (DutyPosition).
The question "who of department D is on duty within N km of this point" is answered in two
steps: the database narrows the tenant's fresh on-duty rows to a latitude/longitude box around
the point (an ordinary B-tree index on tenant, duty, time and latitude), then Python measures
the great-circle distance (haversine) of the few candidates left and keeps those inside the
circle. A county has tens to hundreds of officers on duty; the box leaves a handful, so the
exact distance costs nothing and no spatial extension is needed on SQLite or PostgreSQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from . import policy
from .models import DutyPosition, Staff

# A position older than this says nothing about where the officer is now: treated as off duty.
STALE_AFTER = timedelta(minutes=10)
# How often the duty page reports (seconds); well inside STALE_AFTER, so two lost reports
# in a row do not take an officer off duty.
REPORT_EVERY_SECONDS = 60
EARTH_RADIUS_KM = 6371.0088
DECIMALS = 6


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of the smallest box holding every point within `km` of the
    centre on the same sphere haversine_km measures on (so nothing inside the circle is cut).

    The widest longitude of a circle is asin(sin(d) / cos(lat)), a little more than d / cos(lat)
    away from the equator; near a pole the circle holds every longitude. (No county straddles
    the antimeridian.)
    """
    d = km / EARTH_RADIUS_KM  # the radius as an angle, in radians
    dlat = math.degrees(d)
    ratio = math.sin(d) / max(math.cos(math.radians(lat)), 1e-12)
    dlon = 180.0 if ratio >= 1 else math.degrees(math.asin(ratio))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


@dataclass(frozen=True)
class OfficerAtDistance:
    user_id: int
    name: str
    distance_km: float
    reported_at: datetime


@dataclass(frozen=True)
class NearestSearch:
    """The answer to "nearest on-duty officer of D within N km", with why when there is none."""

    officer: OfficerAtDistance | None
    on_duty: int = 0  # the department's officers on duty with a fresh position (any distance)
    nearest_beyond_km: float | None = None  # the closest of them when all are too far


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _fresh_on_duty(tenant_id: int, department_id: int, now: datetime):
    return DutyPosition.objects.filter(
        tenant_id=tenant_id,
        on_duty=True,
        reported_at__gte=now - STALE_AFTER,
        latitude__isnull=False,
        longitude__isnull=False,
        user__staff__departments=department_id,
        user__staff__tenant_id=tenant_id,
    ).select_related("user")


def nearest_on_duty(
    tenant_id: int,
    department_id: int,
    latitude: float,
    longitude: float,
    within_km: float,
    *,
    now: datetime | None = None,
) -> NearestSearch:
    """就近派遣: the department's on-duty officer closest to the point, within `within_km`.

    Read live every time (positions change by the minute; nothing of this is cached). Ties go
    to the lower user id, so the same positions always give the same officer.
    """
    now = now or timezone.now()
    south, north, west, east = bounding_box(latitude, longitude, within_km)
    with scopes_disabled():
        in_box = _fresh_on_duty(tenant_id, department_id, now).filter(
            latitude__range=(south, north), longitude__range=(west, east)
        )
        measured = sorted(
            (haversine_km(latitude, longitude, p.latitude, p.longitude), p.user_id, p)
            for p in in_box
        )
        inside = [(d, p) for d, _uid, p in measured if d <= within_km]
        if inside:
            distance, p = inside[0]
            return NearestSearch(
                OfficerAtDistance(p.user_id, _display_name(p.user), distance, p.reported_at)
            )
        # None close enough: say how many are on duty and how far the closest is (试运行).
        everyone = [
            haversine_km(latitude, longitude, p.latitude, p.longitude)
            for p in _fresh_on_duty(tenant_id, department_id, now)
        ]
    return NearestSearch(None, len(everyone), min(everyone) if everyone else None)


def _clean(latitude, longitude, accuracy) -> tuple[float, float, float | None]:
    try:
        lat, lon = float(latitude), float(longitude)
        acc = None if accuracy in (None, "") else max(0.0, float(accuracy))
    except (TypeError, ValueError):
        raise ValidationError(_("位置应为数字。"), code="invalid") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(_("位置超出范围。"), code="out_of_range")
    if acc is not None and not math.isfinite(acc):
        acc = None
    return round(lat, DECIMALS), round(lon, DECIMALS), acc


def _own_row(staff: Staff) -> DutyPosition:
    row, _created = DutyPosition.objects.get_or_create(
        user_id=staff.user_id, defaults={"tenant_id": staff.tenant_id}
    )
    return row


def _sharer(member) -> Staff:
    if not policy.can(member, policy.Capability.SHARE_POSITION):
        raise PermissionError(_("只有部门外勤人员可以共享位置。"))
    with scopes_disabled():
        return Staff.objects.get(user_id=member.user_id)


def set_on_duty(member, on_duty: bool) -> None:
    """上岗 / 下岗. Going off duty forgets the last position: nobody needs to know where an
    officer is off duty."""
    staff = _sharer(member)
    with scopes_disabled():
        row = _own_row(staff)
        row.on_duty = on_duty
        if not on_duty:
            row.latitude = row.longitude = row.accuracy_m = row.reported_at = None
        row.save()


def record_position(member, latitude, longitude, accuracy=None, *, now=None) -> datetime:
    """The duty page's report: the officer's latest position (ValidationError for a bad one,
    PermissionError for a role that does not share positions or an officer off duty)."""
    staff = _sharer(member)
    lat, lon, acc = _clean(latitude, longitude, accuracy)
    now = now or timezone.now()
    with scopes_disabled():
        updated = DutyPosition.objects.filter(user_id=staff.user_id, on_duty=True).update(
            latitude=lat, longitude=lon, accuracy_m=acc, reported_at=now
        )
    if not updated:
        raise PermissionError(_("请先上岗，再共享位置。"))
    return now


def is_fresh(reported_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a position still says where the officer is (not older than STALE_AFTER)."""
    return reported_at is not None and reported_at >= (now or timezone.now()) - STALE_AFTER


@dataclass(frozen=True)
class DutyStatus:
    on_duty: bool  # switched on and the last position fresh (or none sent yet)
    switched_on: bool
    reported_at: datetime | None
    stale: bool


def duty_status(member, *, now=None) -> DutyStatus:
    now = now or timezone.now()
    with scopes_disabled():
        row = DutyPosition.objects.filter(user_id=member.user_id).first()
    if row is None or not row.on_duty:
        return DutyStatus(False, False, None, False)
    stale = row.reported_at is not None and not is_fresh(row.reported_at, now)
    return DutyStatus(not stale, True, row.reported_at, stale)
