"""Township boundaries (镇街边界) a tenant administrator uploads as GeoJSON, for the map.

The file is a FeatureCollection in WGS-84 longitude/latitude (CGCS2000 is the same at map
scale). Each feature names its township in `properties` by `code` (区划代码, when the region
has one) or `name`; its geometry is a Polygon or MultiPolygon. The whole file is checked before
anything is stored, and every problem is reported in one go (which feature, what is wrong), so
an administrator fixes the file once: an upload is stored whole or not at all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from .models import Region, RegionBoundary

MAX_BYTES = 5 * 1024 * 1024  # a county's simplified townships are far smaller
MAX_POSITIONS = 200_000  # all vertices of the file; the screen draws them on every refresh
MAX_FEATURES = 500
MAX_ERRORS = 20  # beyond this the file is wrong in one systematic way; more lines do not help
DECIMALS = 6  # about 0.1 m, as case coordinates (services/intake/location.py)


@dataclass(frozen=True)
class LoadedBoundaries:
    """What an upload stored: the township names matched, in the file's order."""

    townships: list[str]
    positions: int


class _Problems:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


def _feature_label(index: int, properties: dict) -> str:
    name = properties.get("name") or properties.get("code") or ""
    return _("第 %(n)d 个要素（%(name)s）") % {"n": index + 1, "name": name or _("未命名")}


def _ring(ring, where: str, problems: _Problems) -> list[list[float]] | None:
    """A closed ring of [longitude, latitude] positions, rounded; None (and a problem) if not."""
    if not isinstance(ring, list) or len(ring) < 4:
        problems.add(_("%(where)s：每个环至少需要 4 个坐标点（首尾相同）。") % {"where": where})
        return None
    out = []
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in position[:2]
            )
        ):
            problems.add(_("%(where)s：坐标应为 [经度, 纬度] 两个数字。") % {"where": where})
            return None
        longitude, latitude = position[0], position[1]
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
            problems.add(
                _(
                    "%(where)s：坐标 [%(lon)s, %(lat)s] 超出范围（经度 -180 到 180，"
                    "纬度 -90 到 90；GeoJSON 经度在前、纬度在后，须为 WGS-84 经纬度而非投影坐标）。"
                )
                % {"where": where, "lon": longitude, "lat": latitude}
            )
            return None
        out.append([round(longitude, DECIMALS), round(latitude, DECIMALS)])
    if out[0] != out[-1]:
        problems.add(_("%(where)s：环未闭合（首尾坐标应相同）。") % {"where": where})
        return None
    return out


def _multipolygon(geometry, where: str, problems: _Problems) -> list | None:
    """The geometry as MultiPolygon coordinates (a Polygon is a MultiPolygon of one)."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        problems.add(
            _("%(where)s：几何类型应为 Polygon 或 MultiPolygon，而不是 %(kind)s。")
            % {"where": where, "kind": kind or _("空")}
        )
        return None
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        problems.add(_("%(where)s：缺少坐标。") % {"where": where})
        return None
    out = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            problems.add(_("%(where)s：多边形缺少坐标环。") % {"where": where})
            return None
        rings = [_ring(ring, where, problems) for ring in polygon]
        if any(ring is None for ring in rings):
            return None
        out.append(rings)
    return out


def _townships(tenant_id: int) -> list[Region]:
    with scopes_disabled():
        return list(Region.objects.filter(tenant_id=tenant_id, level=Region.Level.TOWNSHIP))


def _match(properties: dict, by_code: dict, by_name: dict) -> Region | None:
    code = str(properties.get("code") or "").strip()
    if code and code in by_code:
        return by_code[code]
    return by_name.get(str(properties.get("name") or "").strip())


def parse(tenant_id: int, raw: bytes) -> dict[Region, list]:
    """The township → MultiPolygon coordinates a file describes, for this tenant's townships.
    ValidationError listing every problem (in Chinese) when the file cannot be stored whole."""
    if len(raw) > MAX_BYTES:
        raise ValidationError(
            _("文件过大（%(size).1f MB）；上限 %(limit)d MB，请先简化边界。")
            % {"size": len(raw) / 1024 / 1024, "limit": MAX_BYTES // 1024 // 1024}
        )
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[…" bombs
        raise ValidationError(_("文件不是有效的 GeoJSON（UTF-8 编码的 JSON）。")) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationError(_("文件应为 GeoJSON 的 FeatureCollection（要素集合）。"))
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError(_("文件中没有任何要素（features 为空）。"))
    if len(features) > MAX_FEATURES:
        raise ValidationError(_("要素过多（上限 %(n)d 个）。") % {"n": MAX_FEATURES})

    townships = _townships(tenant_id)
    by_code = {r.code.strip(): r for r in townships if r.code.strip()}
    by_name = {r.name.strip(): r for r in townships}
    problems = _Problems()
    matched: dict[Region, list] = {}
    positions = 0
    for index, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        where = _feature_label(index, properties)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add(_("%(where)s：不是 Feature。") % {"where": where})
            continue
        region = _match(properties, by_code, by_name)
        if region is None:
            problems.add(
                _("%(where)s：本平台没有名称或区划代码与之相同的镇街（现有：%(names)s）。")
                % {"where": where, "names": "、".join(sorted(by_name)) or _("无")}
            )
            continue
        if region in matched:
            problems.add(
                _("%(where)s：镇街“%(name)s”在文件中出现了不止一次。")
                % {"where": where, "name": region.name}
            )
            continue
        polygons = _multipolygon(feature.get("geometry"), where, problems)
        if polygons is None:
            continue
        positions += sum(len(ring) for polygon in polygons for ring in polygon)
        matched[region] = polygons
    if positions > MAX_POSITIONS:
        problems.add(
            _("坐标点过多（%(n)d 个，上限 %(limit)d 个），请先简化边界。")
            % {"n": positions, "limit": MAX_POSITIONS}
        )
    problems.raise_if_any()
    return matched


def _bounds(polygons: list) -> tuple[float, float, float, float]:
    longitudes = [p[0] for polygon in polygons for ring in polygon for p in ring]
    latitudes = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return min(latitudes), max(latitudes), min(longitudes), max(longitudes)


@transaction.atomic
def load(tenant_id: int, raw: bytes, source: str = "") -> LoadedBoundaries:
    """Checks the file (see `parse`) and stores each matched township's boundary, replacing
    the one it had. Townships the file does not mention keep theirs."""
    matched = parse(tenant_id, raw)
    with scopes_disabled():
        for region, polygons in matched.items():
            south, north, west, east = _bounds(polygons)
            RegionBoundary.objects.update_or_create(
                region=region,
                defaults={
                    "tenant_id": tenant_id,
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                    "min_latitude": south,
                    "max_latitude": north,
                    "min_longitude": west,
                    "max_longitude": east,
                    "source": source[:200],
                },
            )
    return LoadedBoundaries(
        townships=[region.name for region in matched],
        positions=sum(len(r) for ps in matched.values() for p in ps for r in p),
    )


@dataclass(frozen=True)
class TownshipShape:
    """A township's outline as the map draws it: MultiPolygon coordinates, [lon, lat]."""

    region_id: int
    name: str
    polygons: list


def shapes(tenant_id: int) -> list[TownshipShape]:
    """The tenant's township boundaries, in the townships' creation order."""
    with scopes_disabled():
        rows = (
            RegionBoundary.objects.filter(tenant_id=tenant_id)
            .select_related("region")
            .order_by("region_id")
        )
        return [
            TownshipShape(row.region_id, row.region.name, row.geometry["coordinates"])
            for row in rows
        ]
