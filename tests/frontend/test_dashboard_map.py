"""The county map (数字驾驶舱地图): township boundaries a tenant uploads (checked whole, per
tenant), the SVG shaded by a measure with the cases as points, who sees the points, and the map
on the command-room screen, its live fragment and the monthly report."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from frontend import dashboard_map
from services.directory import api as directory
from tests.builders import build_county, campus_form
from tests.map_world import (
    EAST_TOWN_POINT,
    MIDDLE,
    WEST,
    WEST_TOWN_POINT,
    at,
    collection,
    county_file,
    feature,
    load_outlines,
    square,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def counties(db):
    return (
        build_county("county-a", "甲县", "+8610690000001"),
        build_county("county-b", "乙县", "+8610690000002"),
    )


def problems(tenant_id: int, raw: bytes) -> list[str]:
    with pytest.raises(directory.BoundaryInvalid) as caught:
        directory.load_township_boundaries(tenant_id, raw)
    assert directory.township_boundaries(tenant_id) == [], "an upload is stored whole or not at all"
    return caught.value.messages


# --- boundaries: checked whole, matched per tenant --------------------------------------------


def test_a_county_file_stores_each_township_matched_by_name_or_code(counties):
    a, _b = counties
    loaded = directory.load_township_boundaries(a.tenant.pk, county_file(a), "a.geojson")
    assert loaded.townships == ["甲县西镇", "甲县东镇"]
    shapes = {s.name: s for s in directory.township_boundaries(a.tenant.pk)}
    assert set(shapes) == {"甲县东镇", "甲县西镇"}
    assert shapes["甲县西镇"].polygons[0][0][0] == [WEST, 28.33]  # a Polygon kept as MultiPolygon

    # By 区划代码 once the region has one; a new file replaces that township's outline only.
    east = a.towns["东镇"]
    from django_scopes import scopes_disabled

    with scopes_disabled():
        type(east).objects.filter(pk=east.pk).update(code="331081101")
    directory.load_township_boundaries(
        a.tenant.pk,
        collection(feature({"code": "331081101", "name": "别名"}, square(MIDDLE, 121.50))),
    )
    shapes = {s.name: s for s in directory.township_boundaries(a.tenant.pk)}
    assert max(p[0] for p in shapes["甲县东镇"].polygons[0][0]) == 121.50
    assert shapes["甲县西镇"].polygons[0][0][0] == [WEST, 28.33]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"not json", "不是有效的 GeoJSON"),
        (b"[" * 100_000 + b"]" * 100_000, "不是有效的 GeoJSON"),
        (json.dumps({"type": "Feature"}).encode(), "FeatureCollection"),
        (collection(), "没有任何要素"),
        (
            collection(feature({"name": "甲县东镇"}, {"type": "Point", "coordinates": [121, 28]})),
            "几何类型应为 Polygon 或 MultiPolygon，而不是 Point",
        ),
        (
            # Projected metres (e.g. a CAD export), not degrees.
            collection(
                feature(
                    {"name": "甲县东镇"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [412000, 3139000],
                                [413000, 3139000],
                                [412000, 3140000],
                                [412000, 3139000],
                            ]
                        ],
                    },
                )
            ),
            "超出范围",
        ),
        (
            collection(
                feature(
                    {"name": "甲县东镇"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [[121.4, 28.3], [121.5, 28.3], [121.5, 28.4], [121.4, 28.4]]
                        ],
                    },
                )
            ),
            "环未闭合",
        ),
        (
            collection(
                feature(
                    {"name": "甲县东镇"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [[121.4, "28.3"], [121.5, 28.3], [121.5, 28.4], [121.4, 28.3]]
                        ],
                    },
                )
            ),
            "坐标应为 [经度, 纬度] 两个数字",
        ),
        (
            collection(
                feature({"name": "甲县东镇"}, square(MIDDLE, 121.46)),
                feature({"name": "甲县东镇"}, square(MIDDLE, 121.46)),
            ),
            "出现了不止一次",
        ),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_chinese_error_and_nothing_stored(
    counties, raw, expected
):
    a, _b = counties
    messages = problems(a.tenant.pk, raw)
    assert any(expected in m for m in messages), messages


def test_one_bad_feature_refuses_the_whole_file_and_every_problem_is_listed(counties):
    a, _b = counties
    raw = collection(
        feature({"name": "甲县东镇"}, square(MIDDLE, 121.46)),  # fine
        feature({"name": "丙镇"}, square(WEST, MIDDLE)),  # no such township
        feature({"name": "甲县西镇"}, {"type": "LineString", "coordinates": []}),
    )
    messages = problems(a.tenant.pk, raw)
    assert any(
        "第 2 个要素（丙镇）" in m and "没有名称或区划代码与之相同的镇街" in m for m in messages
    )
    assert any("第 3 个要素（甲县西镇）" in m and "LineString" in m for m in messages)


def test_a_file_too_large_or_too_detailed_is_refused(counties, monkeypatch):
    a, _b = counties
    from services.directory import boundaries

    monkeypatch.setattr(boundaries, "MAX_BYTES", 100)
    assert "文件过大" in problems(a.tenant.pk, county_file(a))[0]
    monkeypatch.setattr(boundaries, "MAX_BYTES", 5 * 1024 * 1024)
    monkeypatch.setattr(boundaries, "MAX_POSITIONS", 9)
    assert any("坐标点过多" in m for m in problems(a.tenant.pk, county_file(a)))


def test_a_county_cannot_load_or_see_another_countys_townships(counties):
    a, b = counties
    # B's file names B's townships: against A's tenant, none of them exist.
    messages = problems(a.tenant.pk, county_file(b))
    assert all(
        "没有名称或区划代码与之相同的镇街（现有：甲县东镇、甲县西镇）" in m for m in messages
    )
    load_outlines(b)
    assert directory.township_boundaries(a.tenant.pk) == []
    assert {s.name for s in directory.township_boundaries(b.tenant.pk)} == {"乙县东镇", "乙县西镇"}


def test_the_tenant_administrator_uploads_in_the_admin_and_others_may_not(counties):
    a, b = counties
    url = reverse("admin:directory_regionboundary_upload")
    admin = a.client("admin")
    assert (
        "上传 GeoJSON"
        in admin.get(reverse("admin:directory_regionboundary_changelist")).content.decode()
    )

    bad = SimpleUploadedFile("x.geojson", b'{"type": "FeatureCollection", "features": [1]}')
    response = admin.post(url, {"file": bad})
    assert response.status_code == 200 and "不是 Feature" in response.content.decode()

    upload = SimpleUploadedFile("townships.geojson", county_file(a))
    response = admin.post(url, {"file": upload}, follow=True)
    assert "已载入 2 个镇街的边界" in response.content.decode()
    assert {s.name for s in directory.township_boundaries(a.tenant.pk)} == {"甲县东镇", "甲县西镇"}
    listing = admin.get(reverse("admin:directory_regionboundary_changelist")).content.decode()
    assert "townships.geojson" in listing

    # A tenant admin cannot aim the upload at another tenant: B's names do not match A's.
    response = admin.post(
        url, {"file": SimpleUploadedFile("b.geojson", county_file(b)), "tenant": b.tenant.pk}
    )
    assert "没有名称或区划代码与之相同的镇街" in response.content.decode()
    assert directory.township_boundaries(b.tenant.pk) == []

    for role in ("dispatcher", "labour", "desk"):
        assert a.client(role).get(url).status_code == 403, role


def test_the_platform_operator_names_the_tenant(counties):
    _a, b = counties
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", "pw")
    client = Client()
    client.force_login(operator)
    url = reverse("admin:directory_regionboundary_upload")
    response = client.post(url, {"file": SimpleUploadedFile("b.geojson", county_file(b))})
    assert response.status_code == 200 and not directory.township_boundaries(b.tenant.pk)
    client.post(
        url, {"file": SimpleUploadedFile("b.geojson", county_file(b)), "tenant": b.tenant.pk}
    )
    assert len(directory.township_boundaries(b.tenant.pk)) == 2


# --- the SVG -----------------------------------------------------------------------------------


def townships_in(svg: str) -> dict[str, tuple[str, str]]:
    """region id → (value, fill) of each township drawn."""
    return {
        m["id"]: (m["value"], m["fill"])
        for m in re.finditer(
            r'<path class="township" data-region-id="(?P<id>\d+)" data-value="(?P<value>[^"]*)" '
            r'd="[^"]+" fill="(?P<fill>[^"]+)"',
            svg,
        )
    }


def test_each_township_is_shaded_by_the_measure_and_the_cases_are_points(counties):
    a, b = counties
    load_outlines(a)
    load_outlines(b)
    east, west = a.towns["东镇"].pk, a.towns["西镇"].pk
    overdue = a.routed(**at(EAST_TOWN_POINT))  # 东镇, assigned with a deadline
    for _ in range(2):
        a.routed("campus", **campus_form(**at(WEST_TOWN_POINT)))  # 西镇, waits for dispatch
    a.routed(**at((40.0, 116.4)))  # Beijing: outside the county's outline, not drawn
    b.routed(**at(EAST_TOWN_POINT))
    today = timezone.localdate()

    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        shown = dashboard_map.county_map(
            a.tenant.pk, dashboard_map.MEASURES["open"], today.year, today.month, with_points=True
        )
        svg = str(shown["svg"])
        drawn = townships_in(svg)
        assert drawn[str(east)][0] == "2" and drawn[str(west)][0] == "2"
        assert drawn[str(east)][1] == drawn[str(west)][1] == dashboard_map.SHADES[-1]
        assert "甲县东镇" in svg and "乙县" not in svg
        points = re.findall(r'<circle class="case-point( overdue)?"', svg)
        assert sorted(points) == ["", "", " overdue"], "three in the county; the late one red"
        assert f"<title>{overdue.tracking_number}</title>" in svg
        legend = str(shown["legend"])
        assert "未办结案件" in legend and "超期案件" in legend and "其他未办结案件" in legend

        late = dashboard_map.county_map(
            a.tenant.pk,
            dashboard_map.MEASURES["overdue"],
            today.year,
            today.month,
            with_points=False,
        )
        drawn = townships_in(str(late["svg"]))
        assert drawn[str(east)] == ("2", dashboard_map.SHADES[-1]), "both 东镇 cases are late"
        assert drawn[str(west)] == ("", dashboard_map.NO_DATA)
        assert "<circle" not in str(late["svg"]), "no points for a reader who may not see them"


def test_counts_shade_in_whole_number_classes_and_rates_in_equal_ones():
    counts = dashboard_map.Shading.of([9, 6, 3, 2])
    assert [label for _c, label in counts.classes()] == ["0–1", "2–3", "4–5", "6–7", "8–9"]
    assert [counts.index(v) for v in (2, 3, 6, 9)] == [1, 1, 3, 4]
    assert counts.colour(counts.index(9)) == dashboard_map.SHADES[-1]
    few = dashboard_map.Shading.of([1, 2])
    assert [label for _c, label in few.classes()] == ["0", "1", "2"]
    assert few.colour(few.index(2)) == dashboard_map.SHADES[-1]
    assert few.colour(few.index(0)) == dashboard_map.SHADES[0]
    index = dashboard_map.Shading.of([62.5, 87.5])
    assert index.classes()[0][1] == "62.5–67.5" and index.classes()[-1][1] == "82.5–87.5"
    assert index.index(62.5) == 0 and index.index(87.5) == 4


def test_names_are_escaped_in_the_svg(counties):
    a, _b = counties
    from django_scopes import scopes_disabled

    with scopes_disabled():
        type(a.towns["东镇"]).objects.filter(pk=a.towns["东镇"].pk).update(name="<b>东</b>")
    directory.load_township_boundaries(
        a.tenant.pk, collection(feature({"name": "<b>东</b>"}, square(MIDDLE, 121.46)))
    )
    svg = str(dashboard_map.render(directory.township_boundaries(a.tenant.pk), {}, [], title="t"))
    assert "<b>" not in svg and "&lt;b&gt;东&lt;/b&gt;" in svg


def test_only_readers_of_the_whole_tenant_who_see_exact_places_see_the_points(counties):
    """The points are exact places: the tenant admin reads every case but sees locations
    rounded (policy), so the map shows them no points either."""
    a, _b = counties
    for role, sees in (("dispatcher", True), ("admin", False), ("labour", False), ("desk", False)):
        assert dashboard_map.may_see_points(directory.staff_info(a.user(role))) is sees, role
    assert dashboard_map.may_see_points(None) is False


def test_a_measure_is_one_registered_function(counties, monkeypatch):
    a, _b = counties
    load_outlines(a)
    monkeypatch.setattr(dashboard_map, "MEASURES", dict(dashboard_map.MEASURES))
    east = a.towns["东镇"].pk

    def township_index(tenant_id: int, year: int, month: int) -> dict[int, float]:
        return {east: 87.5}

    dashboard_map.register_measure("index", gettext_lazy("共治指数"), township_index)
    html = (
        a.client("dispatcher").get(reverse("frontend:dashboard"), {"map": "index"}).content.decode()
    )
    assert townships_in(html)[str(east)][0] == "87.5"
    assert 'aria-current="true">共治指数' in html


# --- on the pages ------------------------------------------------------------------------------


def test_the_screen_its_live_fragment_and_the_report_show_the_map_of_their_county(counties):
    a, b = counties
    load_outlines(a)
    load_outlines(b)
    a.routed(**at(EAST_TOWN_POINT))
    b.routed(**at(WEST_TOWN_POINT))
    client = a.client("dispatcher")

    html = client.get(reverse("frontend:dashboard")).content.decode()
    assert 'class="county-map"' in html and "乙县" not in html
    assert html.count('class="case-point') == 1
    assert 'data-map-url="/dashboard/map/?map=open"' in html

    fragment = client.get(reverse("frontend:dashboard-map"), {"map": "overdue"}).content.decode()
    assert 'class="county-map"' in fragment and "超期案件" in fragment and "乙县" not in fragment
    assert a.client("labour").get(reverse("frontend:dashboard-map")).status_code == 403

    month = timezone.localdate().strftime("%Y-%m")
    report = client.get(reverse("frontend:dashboard-report"), {"month": month}).content.decode()
    assert 'class="county-map"' in report and "当月受理量" in report
    east = a.towns["东镇"].pk
    assert townships_in(report)[str(east)][0] == "1"
    assert report.count('class="case-point') == 1

    # A stale or unknown measure still shows a map (the default one).
    assert (
        'class="county-map"'
        in client.get(reverse("frontend:dashboard"), {"map": "x"}).content.decode()
    )


def test_without_boundaries_the_map_says_how_to_get_them(counties):
    a, _b = counties
    a.routed(**at(EAST_TOWN_POINT))
    html = a.client("dispatcher").get(reverse("frontend:dashboard")).content.decode()
    assert "尚未上传镇街边界" in html
    assert 'class="county-map"' not in html and "case-point" not in html


def test_the_tests_demo_has_the_boundaries_but_no_cases(demo):
    from services.intake import api as intake

    assert len(directory.township_boundaries(demo.pk)) == 4
    assert intake.latest_case_id(demo.pk) == 0


def test_the_demo_ships_synthetic_boundaries_and_located_cases_inside_them(without_demo):
    from django.core.management import call_command

    from demo.map_demo import CASES_PER_TOWNSHIP, _inside

    call_command("load_demo", "--sample-cases", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tenant = directory.tenant_by_slug("wenling-demo")
    shapes = directory.township_boundaries(tenant.id)
    assert {s.name for s in shapes} == {"城东街道", "新河镇", "箬横镇", "石塘镇"}
    from services.intake import api as intake

    points = intake.case_points(tenant.id)
    assert len(points) == sum(CASES_PER_TOWNSHIP.values())
    rings = [s.polygons[0][0] for s in shapes]
    for point in points:
        assert 28.2 < point.latitude < 28.6 and 121.2 < point.longitude < 121.7
        assert any(_inside((point.longitude, point.latitude), ring) for ring in rings)


# --- the optional base map from the tenant's own tile server ------------------------------------


def test_no_base_map_by_default_and_the_tenants_tile_server_when_configured(counties):
    a, _b = counties
    load_outlines(a)
    client = a.client("dispatcher")
    response = client.get(reverse("frontend:dashboard"))
    assert "<image" not in response.content.decode()
    assert "tiles.example" not in response["Content-Security-Policy"]

    from django_scopes import scopes_disabled

    with scopes_disabled():
        type(a.tenant).objects.filter(pk=a.tenant.pk).update(
            map_tile_url="https://tiles.example.gov.cn/{z}/{x}/{y}.png?k=1&s=2"
        )
    response = client.get(reverse("frontend:dashboard"))
    html = response.content.decode()
    hrefs = re.findall(r'<image class="tile" href="([^"]+)"', html)
    assert hrefs and all(h.startswith("https://tiles.example.gov.cn/") for h in hrefs)
    assert "&amp;s=2" in hrefs[0], "escaped in the attribute"
    # Wenling at the map's zoom: the tile holding 28.37N 121.38E is among those drawn.
    zoom = int(hrefs[0].split("/")[3])
    x, y = dashboard_map._tile_x(121.38, zoom), dashboard_map._tile_y(28.37, zoom)
    assert f"https://tiles.example.gov.cn/{zoom}/{x}/{y}.png?k=1&amp;s=2" in hrefs
    assert 10 <= zoom <= 13 and len(hrefs) <= dashboard_map.MAX_TILES
    policy = response["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert "https://tiles.example.gov.cn" in img_src and "'self'" in img_src
    report = client.get(reverse("frontend:dashboard-report"))
    assert "https://tiles.example.gov.cn" in report["Content-Security-Policy"]


def test_a_tile_address_must_be_https_with_its_placeholders(counties):
    from django.core.exceptions import ValidationError

    from services.directory.models import validate_tile_url

    validate_tile_url("https://t.example/{z}/{x}/{y}.png")
    for bad in (
        "http://t.example/{z}/{x}/{y}.png",
        "https://t.example/{z}/{x}.png",
        "javascript:x",
    ):
        with pytest.raises(ValidationError, match="https://"):
            validate_tile_url(bad)
