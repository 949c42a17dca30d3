"""The demo's map: synthetic township boundaries (合成边界) and cases placed inside them.

The outlines in wenling_townships.geojson are made up — four adjacent polygons around
Wenling (about 28.37N 121.38E) — so the demo needs no real boundary data and no map tiles.
Demo cases get coordinates drawn inside their own township (a fixed seed: the same demo every
time), so the command room's map has points from the first start.
"""

import itertools
import random
from pathlib import Path

from services.directory import api as directory
from services.intake import api as intake

BOUNDARIES = Path(__file__).with_name("wenling_townships.geojson")
# Different loads, so the shading differs from township to township.
CASES_PER_TOWNSHIP = {"城东街道": 9, "新河镇": 6, "箬横镇": 3, "石塘镇": 2}

# (scenario, what the citizen wrote, the scenario's own fields)
SAMPLES = [
    (
        "wage_arrears",
        "工地老板拖欠工资两个月，多次讨要未果。",
        {
            "employer_name": "某某建筑公司",
            "work_site": "工业区工地",
            "amount_owed": "18000",
            "months_owed": "2",
            "workers_affected": "3",
        },
    ),
    (
        "civil_defence",
        "人防工程入口积水，排水泵不工作。",
        {"shelter_code": "RF-017", "hazard_type": "渗漏积水"},
    ),
    (
        "campus",
        "校门口早高峰车辆乱停，学生过马路危险。",
        {"school": "中心小学", "issue_type": "周边交通"},
    ),
]


def _inside(point: tuple[float, float], ring: list) -> bool:
    """Ray casting: whether (lon, lat) lies inside the ring."""
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def points_inside(polygons: list, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """`n` (latitude, longitude) pairs inside the township's first polygon, by rejection."""
    ring = polygons[0][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    found: list[tuple[float, float]] = []
    while len(found) < n:
        lon = rng.uniform(min(lons), max(lons))
        lat = rng.uniform(min(lats), max(lats))
        if _inside((lon, lat), ring):
            found.append((round(lat, 6), round(lon, 6)))
    return found


def load_map_demo(tenant, desk_user=None) -> int:
    """Loads the synthetic boundaries and, given the desk's login, takes in a few cases per
    township there (无差别受理), each with coordinates inside its township. Returns how many
    cases."""
    directory.load_township_boundaries(tenant.pk, BOUNDARIES.read_bytes(), BOUNDARIES.name)
    if desk_user is None:
        return 0
    rng = random.Random(14)  # noqa: S311  (demo placement, not security)
    made = 0
    for shape in directory.township_boundaries(tenant.pk):
        for i, (latitude, longitude) in enumerate(
            points_inside(shape.polygons, CASES_PER_TOWNSHIP.get(shape.name, 3), rng)
        ):
            scenario, description, fields = SAMPLES[i % len(SAMPLES)]
            data = {
                **fields,
                "description": description,
                "region": str(shape.region_id),
                "place_label": shape.name,
                "latitude": str(latitude),
                "longitude": str(longitude),
            }
            intake.submit_for_staff(desk_user, scenario, data)
            made += 1
    return made
