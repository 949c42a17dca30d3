"""The county map in a real browser: on the command room's walls (1920×1080, 3840×2160) its
labels are legible and it fits; on a phone it fits the width; new cases appear on it without a
reload. Also makes the README's screenshots of the demo (docs/dashboard-map.png,
docs/report-map.png) when run with MAKE_SCREENSHOTS=1 (into a temporary folder otherwise,
so every run still proves they can be made)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from demo.management.commands.load_demo import DEMO_PASSWORD
from tests.builders import build_county, campus_form
from tests.helpers import MEASURE, log_in, run_worker
from tests.map_world import EAST_TOWN_POINT, WEST_TOWN_POINT, at, load_outlines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
def county(db):
    county = build_county("county-a", "甲县", "+8610690000001")
    load_outlines(county)
    county.routed(**at(EAST_TOWN_POINT))
    county.routed("campus", **campus_form(**at(WEST_TOWN_POINT)))
    return county


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_map_is_legible_and_fits_on_a_wall(browser_page, county, width, height):
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, county.username("dispatcher"))
    page.goto("/dashboard/")
    svg = page.locator("svg.county-map")
    svg.scroll_into_view_if_needed()
    assert svg.is_visible()
    assert page.locator("svg.county-map path.township").count() == 2
    assert page.locator("svg.county-map circle.case-point").count() == 2
    box = svg.bounding_box()
    assert box["width"] <= width and box["height"] <= height * 0.75, box
    assert box["height"] >= height * 0.3, "a wall map is large, not a thumbnail"

    texts = page.evaluate(MEASURE)
    on_map = [t for t in texts if "map-label" in t["cls"] or "legend" in t["cls"]]
    assert on_map, texts
    too_small = [t for t in texts if t["size"] < height * 0.01]
    assert too_small == [], too_small


def test_the_map_fits_a_phone(browser_page, county):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, county.username("dispatcher"))
    page.goto("/dashboard/")
    svg = page.locator("svg.county-map")
    svg.scroll_into_view_if_needed()
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("svg.county-map circle.case-point").count() == 2
    # Township names stay readable although the map is drawn 800 wide and shown at ~360.
    texts = page.evaluate(MEASURE)
    labels = [t for t in texts if "map-label" in t["cls"]]
    assert labels and min(t["size"] for t in labels) >= 12, labels


def test_a_new_case_appears_on_the_map_without_a_reload(browser_page, county, monkeypatch):
    from frontend import dashboard

    # The test server speaks no websocket: the page's catch-up poll brings the news.
    monkeypatch.setattr(dashboard, "POLL_SECONDS_WITH_PUSH", dashboard.POLL_SECONDS_IN_MEMORY)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, county.username("dispatcher"))
    page.goto("/dashboard/")
    assert page.locator("svg.county-map circle.case-point").count() == 2
    county.submit(**at((28.39, 121.44)))
    page.locator("svg.county-map circle.case-point").nth(2).wait_for(timeout=20_000)
    east = county.towns["东镇"].pk
    shade = page.locator(f'svg.county-map path[data-region-id="{east}"]')
    assert shade.get_attribute("data-value") == "2"


def test_screenshots_of_the_demo_map(browser_page, without_demo, tmp_path):
    """The README's pictures: the demo after a day on the wall, some cases overdue."""
    call_command("load_demo", "--sample-cases", stdout=open(os.devnull, "w"))  # noqa: SIM115
    run_worker("routing")
    run_worker("deadlines")
    from services.routing.models import CaseDeadline

    past = timezone.now() - dt.timedelta(hours=3)
    with scopes_disabled():
        late = list(CaseDeadline.objects.order_by("case_id").values_list("pk", flat=True))[::3]
        CaseDeadline.objects.filter(pk__in=late).update(sign_due=past, sign_warn_at=past)
    out = DOCS if os.environ.get("MAKE_SCREENSHOTS") else tmp_path
    out.mkdir(exist_ok=True)
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/admin/login/")
    page.get_by_label("用户名").fill("dispatcher")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/")
    page.goto("/dashboard/")
    card = page.locator(".map-card")
    assert page.locator("svg.county-map path.township").count() == 4
    assert page.locator("svg.county-map circle.case-point.overdue").count() >= 1
    card.screenshot(path=str(out / "dashboard-map.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/dashboard/report/")
    section = page.locator(".report-map")
    assert page.locator("svg.county-map path.township").count() == 4
    section.screenshot(path=str(out / "report-map.png"))
    assert (out / "dashboard-map.png").stat().st_size > 10_000
    assert (out / "report-map.png").stat().st_size > 10_000
