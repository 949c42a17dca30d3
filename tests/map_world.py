"""Township outlines and located cases for the map tests (test_dashboard_map*). No tests.

The staff_world counties have two townships, 东镇 and 西镇: here two adjacent squares near
Wenling (east of 121.38E is 东镇), and helpers to submit cases at a point.
"""

import json

from services.directory import api as directory

WEST, MIDDLE, EAST = 121.30, 121.38, 121.46
SOUTH, NORTH = 28.33, 28.41
EAST_TOWN_POINT = (28.37, 121.42)  # latitude, longitude inside 东镇
WEST_TOWN_POINT = (28.36, 121.33)


def square(west: float, east: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, SOUTH], [east, SOUTH], [east, NORTH], [west, NORTH], [west, SOUTH]]
        ],
    }


def feature(properties: dict, geometry: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def county_file(county) -> bytes:
    """Both townships of a staff_world county, matched by name."""
    name = county.tenant.name
    return collection(
        feature({"name": f"{name}西镇"}, square(WEST, MIDDLE)),
        feature({"name": f"{name}东镇"}, square(MIDDLE, EAST)),
    )


def load_outlines(county) -> None:
    directory.load_township_boundaries(county.tenant.pk, county_file(county), "test.geojson")


def at(point: tuple[float, float]) -> dict:
    """The form fields of a located submission."""
    return {"latitude": str(point[0]), "longitude": str(point[1])}
