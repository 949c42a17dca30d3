"""The command-room screen on a wall: every chart has a visible title, and text grows with the
screen, so a 4K wall reads as well as a 1080p one (smallest text at least 1% of the screen's
height, titles at least 1.4%)."""

import pytest

from tests.builders import build_county
from tests.helpers import MEASURE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Every visible element that holds text of its own, with its rendered font size in CSS pixels
# (an SVG's text is measured as drawn, after the chart's scaling).
@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_charts_have_titles_and_text_is_legible_on_a_wall(browser_page, width, height):
    county = build_county("county-a", "甲县", "+8610690000001")
    county.routed()
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, county.username("dispatcher"))
    page.goto("/dashboard/")

    titles = page.locator("figure .chart-title")
    assert titles.count() == 3
    for i in range(3):
        assert titles.nth(i).is_visible() and titles.nth(i).inner_text().strip()

    texts = page.evaluate(MEASURE)
    too_small = [t for t in texts if t["size"] < height * 0.01]
    assert too_small == [], too_small
    headings = [t for t in texts if t["tag"] in ("h1", "h2") or "chart-title" in t["cls"]]
    assert headings and min(t["size"] for t in headings) >= height * 0.014, headings
