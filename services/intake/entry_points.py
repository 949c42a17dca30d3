"""QR entry points (二维码入口): which ones to print, and their posters."""

from collections.abc import Callable
from typing import BinaryIO

from django.db.models import QuerySet
from django_scopes import scopes_disabled

from services.directory import api as directory

from .models import EntryPoint
from .posters import Poster, render_posters
from .qr import entry_point_url


def select_entry_points(
    tenant_id: int,
    *,
    scenario_code: str | None = None,
    region_id: int | None = None,
    include_inactive: bool = False,
) -> QuerySet[EntryPoint]:
    """A tenant's entry points, optionally of one scenario and within one region's subtree
    (a township's codes include its villages' and grids')."""
    with scopes_disabled():
        found = EntryPoint.objects.filter(tenant_id=tenant_id).select_related(
            "tenant", "scenario", "region"
        )
    if scenario_code:
        found = found.filter(scenario__code=scenario_code)
    if region_id is not None:
        region = directory.get_region(tenant_id, region_id)
        found = found.filter(region__path__startswith=region.path)
    if not include_inactive:
        found = found.filter(active=True, scenario__active=True)
    return found.order_by("region__path", "scenario__code", "place_label", "pk")


def poster(entry_point: EntryPoint) -> Poster:
    return Poster(
        tenant_name=entry_point.tenant.name,
        scenario_name=entry_point.scenario.name,
        place_label=entry_point.place_label,
        url=entry_point_url(entry_point.token),
        hotline=entry_point.tenant.hotline,
    )


def write_posters(
    entry_points: QuerySet[EntryPoint] | list[EntryPoint],
    out: BinaryIO,
    *,
    progress: Callable[[], None] | None = None,
) -> int:
    """One print-ready PDF, one A4 page per entry point; returns the page count."""
    with scopes_disabled():
        posters = [poster(ep) for ep in entry_points]
    return render_posters(posters, out, progress=progress)
