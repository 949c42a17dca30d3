"""The county map (数字驾驶舱地图) on the command-room screen and the monthly report.

Drawn on the server as inline SVG, like the charts: no map library, no tiles from the internet,
nothing the page's Content-Security-Policy has to allow, and it works on an offline government
network. Townships are the outlines the tenant uploaded (directory: 镇街边界), shaded by a
measure; cases with coordinates are points, red when their deadline is overdue.

Projection: equirectangular with longitude scaled by cos(latitude) at the map's centre. Over a
county (about half a degree) its scale error is under 1 %, it needs no projection library, and
points and outlines go through the same two lines of arithmetic. A province-sized map would
want a real conformal projection; a county's command room does not.

Measures (what shades the townships) are a small registry: one function of
(tenant_id, year, month) → {township region id: value}. Adding one is one `register_measure`
call, as the governance index below.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope

from services.directory import api as directory
from services.governance import api as governance
from services.intake import api as intake
from services.routing import api as routing

from .dashboard_data import month_bounds

MeasureFunction = Callable[[int, int, int], dict[int, float]]


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any  # lazy translation
    compute: MeasureFunction
    unit: Any = ""


MEASURES: dict[str, Measure] = {}


def register_measure(key: str, label: Any, compute: MeasureFunction, unit: Any = "") -> None:
    """Makes `compute(tenant_id, year, month) -> {township id: value}` a choice of the map."""
    MEASURES[key] = Measure(key, label, compute, unit)


def open_cases(tenant_id: int, year: int, month: int) -> dict[int, float]:
    """未办结案件 now, per township (the month does not matter: it is the current state)."""
    return {k: float(v) for k, v in intake.open_cases_by_township(tenant_id).items()}


def overdue_cases(tenant_id: int, year: int, month: int) -> dict[int, float]:
    """超期案件 now (red deadline: sign-for or resolution late), per township."""
    with scope(tenant=tenant_id):
        red = intake.open_cases_by_township(tenant_id, ids=routing.case_ids_in_colour("red"))
        return {k: float(v) for k, v in red.items()}


def received_cases(tenant_id: int, year: int, month: int) -> dict[int, float]:
    """受理量 of the month, per township (routing's monthly statistics)."""
    stats = routing.monthly_stats(tenant_id, year, month)
    return {row["region_id"]: row["received"] for row in stats["regions"] if row["region_id"]}


register_measure("open", gettext_lazy("未办结案件"), open_cases, gettext_lazy("件"))
register_measure("overdue", gettext_lazy("超期案件"), overdue_cases, gettext_lazy("件"))
register_measure("received", gettext_lazy("当月受理量"), received_cases, gettext_lazy("件"))
register_measure("index", gettext_lazy("治理指数"), governance.township_index)

DEFAULT_MEASURE = "open"
REPORT_DEFAULT_MEASURE = "received"


def measure_choice(key: str | None, default: str = DEFAULT_MEASURE) -> Measure:
    """The registered measure named `key`, else the default (a stale link still shows a map)."""
    return MEASURES.get(key or "", MEASURES[default])


def may_see_points(staff: directory.StaffInfo | None) -> bool:
    """Case coordinates are private like phone numbers: the points are exact places, so only
    readers of the whole tenant's cases who may also see exact locations see them."""
    return directory.policy.can(staff, directory.Capability.READ_ALL_CASES) and (
        directory.policy.can(staff, directory.Capability.SEE_EXACT_LOCATION)
    )


# --- drawing ------------------------------------------------------------------------------

WIDTH = 800
MAX_HEIGHT = 900
PAD = 16
# Sequential blues, light to dark: value, not good or bad (the index runs the other way).
SHADES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#cfd8dc"
OVERDUE = "#e53935"
NORMAL = "#ffb300"


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    label: str
    overdue: bool


@dataclass(frozen=True)
class Projection:
    """Equirectangular, longitude scaled by cos(centre latitude); y grows southwards."""

    west: float
    north: float
    kx: float
    scale: float
    dx: float
    dy: float

    def xy(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (
            self.dx + (longitude - self.west) * self.kx * self.scale,
            self.dy + (self.north - latitude) * self.scale,
        )


def fit(south: float, north: float, west: float, east: float) -> tuple[Projection, int]:
    """The projection drawing this box WIDTH wide, and the height that keeps its shape."""
    kx = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * kx, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = (WIDTH - 2 * PAD) / span_x
    height = round(span_y * scale + 2 * PAD)
    dx: float = PAD
    if height > MAX_HEIGHT:  # a tall county: fit the height, centre horizontally
        scale = (MAX_HEIGHT - 2 * PAD) / span_y
        height = MAX_HEIGHT
        dx = (WIDTH - span_x * scale) / 2
    return Projection(west, north, kx, scale, dx, PAD), height


def _bounds(shapes: list[directory.TownshipShape]) -> tuple[float, float, float, float]:
    lons = [p[0] for s in shapes for polygon in s.polygons for ring in polygon for p in ring]
    lats = [p[1] for s in shapes for polygon in s.polygons for ring in polygon for p in ring]
    return min(lats), max(lats), min(lons), max(lons)


def _path(projection: Projection, polygons: list) -> str:
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [projection.xy(lon, lat) for lon, lat, *_rest in ring]
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _label_at(projection: Projection, polygons: list) -> tuple[float, float]:
    """The area centroid of the largest outer ring (a label inside the township)."""
    best, best_area = None, -1.0
    for polygon in polygons:
        ring = [projection.xy(lon, lat) for lon, lat, *_rest in polygon[0]]
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if abs(area) > best_area and area:
            best_area, best = abs(area), (cx / (3 * area), cy / (3 * area))
    if best is None:
        xs, ys = zip(*(projection.xy(p[0], p[1]) for p in polygons[0][0]), strict=True)
        best = (sum(xs) / len(xs), sum(ys) / len(ys))
    return best


@dataclass(frozen=True)
class Shading:
    """Up to five equal classes up to the highest value. Counts get whole-number classes
    ("2–3 件", never "1.2–2.4 件")."""

    low: float
    high: float
    whole: bool

    @classmethod
    def of(cls, values: list[float]) -> Shading:
        """Counts from zero (none is the natural floor); scores such as an index from the
        lowest township's, so 62 and 88 do not both land in the top classes."""
        whole = all(float(v).is_integer() for v in values)
        low = min([0.0, *values]) if whole or not values else min(values)
        return cls(low, max([low, *values]), whole)

    @property
    def step(self) -> float:
        if self.whole:
            return float(max(1, math.ceil((self.high - self.low + 1) / len(SHADES))))
        return (self.high - self.low) / len(SHADES) or 1.0

    @property
    def count(self) -> int:
        if self.whole:
            return max(1, math.ceil((self.high - self.low + 1) / self.step))
        return len(SHADES) if self.high > self.low else 1

    def colour(self, k: int) -> str:
        """The k-th of `count` classes, spread over the whole palette (light to dark)."""
        n = self.count
        return SHADES[round(k * (len(SHADES) - 1) / (n - 1))] if n > 1 else SHADES[-1]

    def index(self, value: float) -> int:
        return max(0, min(self.count - 1, int((value - self.low) // self.step)))

    def dark(self, value: float) -> bool:
        """Whether a label on this value's shade is written in white."""
        return SHADES.index(self.colour(self.index(value))) >= 3

    def classes(self) -> list[tuple[str, str]]:
        """(colour, "from–to") per class, for the legend."""
        rows = []
        for k in range(self.count):
            start = self.low + k * self.step
            if self.whole:
                end = start + self.step - 1
                label = _number(start) if end == start else f"{_number(start)}–{_number(end)}"
            elif self.count == 1:
                label = _number(start)
            else:
                label = f"{_number(start)}–{_number(start + self.step)}"
            rows.append((self.colour(k), label))
        return rows


MAX_TILES = 64


def _tile_x(longitude: float, zoom: int) -> int:
    return int((longitude + 180) / 360 * 2**zoom)


def _tile_y(latitude: float, zoom: int) -> int:
    lat = math.radians(latitude)
    return int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * 2**zoom)


def _tile_corner(x: int, y: int, zoom: int) -> tuple[float, float]:
    """(longitude, latitude) of a tile's north-west corner (Web Mercator, as tile servers cut)."""
    n = 2**zoom
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def tiles(
    tile_url: str, projection: Projection, south: float, north: float, west: float, east: float
) -> SafeString:
    """The base map (底图) under the townships, from the tenant's own tile server: the zoom
    whose tiles are about 256 units wide on this map, each tile placed by its corners. Within
    one tile at county zoom Mercator and this projection differ by far less than a pixel."""
    degrees_per_256 = 256 / (projection.kx * projection.scale)
    zoom = max(0, min(18, round(math.log2(360 / degrees_per_256))))
    xs = range(_tile_x(west, zoom), _tile_x(east, zoom) + 1)
    ys = range(_tile_y(north, zoom), _tile_y(south, zoom) + 1)
    if len(xs) * len(ys) > MAX_TILES:
        return mark_safe("")
    images = []
    for x in xs:
        for y in ys:
            left, top = projection.xy(*_tile_corner(x, y, zoom))
            right, bottom = projection.xy(*_tile_corner(x + 1, y + 1, zoom))
            href = tile_url.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))
            images.append(
                format_html(
                    '<image class="tile" href="{}" x="{}" y="{}" width="{}" height="{}" '
                    'preserveAspectRatio="none"/>',
                    href,
                    f"{left:.1f}",
                    f"{top:.1f}",
                    f"{right - left:.1f}",
                    f"{bottom - top:.1f}",
                )
            )
    return mark_safe("".join(images))  # noqa: S308  (format_html output)


def tile_origin(tile_url: str) -> str:
    """The scheme and host the page's Content-Security-Policy must allow images from."""
    scheme, _sep, rest = tile_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def render(
    shapes: list[directory.TownshipShape],
    values: dict[int, float],
    points: list[MapPoint],
    *,
    title: str,
    tile_url: str = "",
) -> SafeString:
    """The map as inline SVG: every township shaded by its value and labelled with its name
    and value, then the points. Names pass through format_html (escaped)."""
    if not shapes:
        return format_html(
            '<p class="map-empty">{}</p>',
            _("尚未上传镇街边界，地图无法显示。平台管理员可在管理后台 › 镇街边界 上传 GeoJSON。"),
        )
    projection, height = fit(*_bounds(shapes))
    shading = Shading.of([values[s.region_id] for s in shapes if s.region_id in values])
    areas, labels = [], []
    for shape in shapes:
        value = values.get(shape.region_id)
        fill = shading.colour(shading.index(value)) if value is not None else NO_DATA
        areas.append(
            format_html(
                '<path class="township" data-region-id="{}" data-value="{}" d="{}" fill="{}" '
                'fill-opacity="{}" fill-rule="evenodd" stroke="#37474f" stroke-width="1.5">'
                "<title>{}{}{}</title></path>",
                shape.region_id,
                "" if value is None else _number(value),
                _path(projection, shape.polygons),
                fill,
                "0.6" if tile_url else "1",  # the base map shows through
                shape.name,
                _("："),
                "—" if value is None else _number(value),
            )
        )
        x, y = _label_at(projection, shape.polygons)
        on_dark = " on-dark" if value is not None and shading.dark(value) else ""
        labels.append(
            format_html(
                '<text class="map-label{}" x="{}" y="{}" text-anchor="middle">{}</text>'
                '<text class="map-label map-value{}" x="{}" y="{}" text-anchor="middle">{}</text>',
                on_dark,
                f"{x:.1f}",
                f"{y - 4:.1f}",
                shape.name,
                on_dark,
                f"{x:.1f}",
                f"{y + 20:.1f}",
                "—" if value is None else _number(value),
            )
        )
    south, north, west, east = _bounds(shapes)
    base = tiles(tile_url, projection, south, north, west, east) if tile_url else ""
    drawn = []
    # Overdue last, so a red point is never hidden under a normal one.
    for point in sorted(points, key=lambda p: p.overdue):
        if not (south <= point.latitude <= north and west <= point.longitude <= east):
            continue  # outside the county's outline: a map of the county does not stretch
        x, y = projection.xy(point.longitude, point.latitude)
        drawn.append(
            format_html(
                '<circle class="case-point{}" cx="{}" cy="{}" r="6" fill="{}" stroke="#fff" '
                'stroke-width="1.5"><title>{}</title></circle>',
                " overdue" if point.overdue else "",
                f"{x:.1f}",
                f"{y:.1f}",
                OVERDUE if point.overdue else NORMAL,
                point.label,
            )
        )
    body = mark_safe("".join([base, *areas, *labels, *drawn]))  # noqa: S308  (format_html output)
    return format_html(
        '<svg class="county-map" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        WIDTH,
        height,
        title,
        title,
        body,
    )


def legend(
    measure: Measure, values: list[float], points_shown: bool, points_note: str
) -> SafeString:
    """The legend beside the map (HTML, so it grows with the page's type on a wall)."""
    shading = Shading.of(values)
    rows = [(colour, f"{label} {measure.unit}".strip()) for colour, label in shading.classes()]
    rows.append((NO_DATA, _("无数据")))
    items = format_html_join(
        "",
        '<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" '
        'height="10" fill="{}"/></svg>{}</li>',
        rows,
    )
    if points_shown:
        items += format_html(
            '<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" '
            'r="4.5" fill="{}"/></svg>{}</li><li><svg class="swatch" viewBox="0 0 10 10" '
            'aria-hidden="true"><circle cx="5" cy="5" r="4.5" fill="{}"/></svg>{}</li>',
            OVERDUE,
            _("超期案件"),
            NORMAL,
            points_note,
        )
    return format_html(
        '<p class="legend-title">{}</p><ul class="map-legend">{}</ul>', measure.label, items
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


# --- what the pages show --------------------------------------------------------------------


def county_map(
    tenant_id: int,
    measure: Measure,
    year: int,
    month: int,
    *,
    with_points: bool,
    month_points: bool = False,
) -> dict[str, Any]:
    """{"svg", "legend", "measure", "tile_origin"} for a page: townships shaded by `measure`
    for the month, over the tenant's base map when it configured a tile server,
    and — when the reader may see coordinates — the points: open cases now (the command room)
    or the cases received in the month (`month_points`, the report)."""
    shapes = directory.township_boundaries(tenant_id)
    tile_url = directory.get_tenant(tenant_id).map_tile_url
    values = measure.compute(tenant_id, year, month)
    points: list[MapPoint] = []
    if with_points and shapes:
        if month_points:
            start, end = month_bounds(year, month)
            cases = intake.case_points(
                tenant_id, open_only=False, received_from=start, received_before=end
            )
            note = _("当月受理的其他案件")
        else:
            cases = intake.case_points(tenant_id)
            note = _("其他未办结案件")
        with scope(tenant=tenant_id):
            colours = routing.deadline_colours([c.id for c in cases])
        points = [
            MapPoint(c.latitude, c.longitude, c.tracking_number, colours.get(c.id) == "red")
            for c in cases
        ]
    else:
        note = ""
    shown = [values[s.region_id] for s in shapes if s.region_id in values]
    return {
        "svg": render(shapes, values, points, title=str(measure.label), tile_url=tile_url),
        "tile_origin": tile_origin(tile_url) if tile_url and shapes else "",
        "legend": legend(measure, shown, with_points and bool(shapes), note) if shapes else "",
        "measure": measure,
        "measures": list(MEASURES.values()),
        "points": len(points),
    }
