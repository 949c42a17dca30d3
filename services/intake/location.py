"""Where a case happened (位置): WGS-84 degrees, checked once at the edge.

Every channel (phone form, desk, API, Open311) gives coordinates as two optional numbers;
this module owns the rule that they come as a pair, within range, rounded to six decimals
(about 0.1 m: more is noise from a phone and only a larger fingerprint).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

DECIMALS = 6


@dataclass(frozen=True)
class Coordinates:
    latitude: float
    longitude: float


def coordinates_fields() -> dict[str, forms.Field]:
    """The optional latitude/longitude pair every submission form carries."""
    return {
        "latitude": forms.FloatField(
            label=_("纬度"),
            required=False,
            min_value=-90,
            max_value=90,
            widget=forms.HiddenInput,
            error_messages={"invalid": _("纬度应为 -90 到 90 之间的数字。")},
        ),
        "longitude": forms.FloatField(
            label=_("经度"),
            required=False,
            min_value=-180,
            max_value=180,
            widget=forms.HiddenInput,
            error_messages={"invalid": _("经度应为 -180 到 180 之间的数字。")},
        ),
    }


def clean_pair(cleaned: dict) -> Coordinates | None:
    """The pair as stored, None when neither is given; ValidationError when only one is."""
    latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        raise forms.ValidationError(_("位置需同时包含纬度和经度。"), code="half_location")
    return Coordinates(round(latitude, DECIMALS), round(longitude, DECIMALS))


def entry_point_coordinates(entry_point) -> Coordinates | None:
    """Where a poster hangs, standing in for a case that brought no location of its own."""
    if entry_point is None or entry_point.latitude is None or entry_point.longitude is None:
        return None
    return Coordinates(entry_point.latitude, entry_point.longitude)


def shown(latitude: float | None, longitude: float | None, *, exact: bool, rounding: int):
    """The pair as a reader may see it: whole, or rounded to `rounding` decimals (the policy's
    LOCATION_ROUNDING) for readers without the exact location; None when there is none."""
    if latitude is None or longitude is None:
        return None
    if exact:
        return Coordinates(latitude, longitude)
    return Coordinates(round(latitude, rounding), round(longitude, rounding))
