"""In a real browser with a test-provided geolocation: a citizen attaches their location with
"使用我的位置" and staff see it on the case page; a field officer's duty page reports where
they are, and a nearest-officer rule then gives them the case."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from services.directory.models import DutyPosition
from services.routing import api as routing
from tests.builders import build_county
from tests.helpers import case, log_in, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HERE = {"latitude": 28.371234, "longitude": 121.387654, "accuracy": 8}


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def with_position(page, live_server, where=HERE) -> None:
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(where)


def test_a_citizen_attaches_their_location_and_staff_see_it(browser_page, county, live_server):
    page = browser_page
    with_position(page, live_server)
    page.goto(f"/c/{county.tokens['wage_arrears']}/")
    page.get_by_label("问题描述").fill("工地老板拖欠三个月工资。")
    page.get_by_label("欠薪单位/老板").fill("某某建筑公司")
    page.get_by_label("拖欠金额（元）").fill("12000")
    page.get_by_label("涉及人数").fill("3")

    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#location-text")).to_have_text("28.371234, 121.387654 (±8 米)")
    page.get_by_role("button", name="清除位置").click()
    expect(page.locator("#location-taken")).to_be_hidden()
    assert page.locator("input[name=latitude]").input_value() == ""
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#location-taken")).to_be_visible()
    page.get_by_role("button", name="提交", exact=True).click()

    page.locator("#tracking-number").wait_for()
    run_worker("routing")
    with scopes_disabled():
        from services.intake.models import Case

        submitted = Case.objects.get()
    assert (submitted.latitude, submitted.longitude) == (28.371234, 121.387654)

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, county.username("labour"))
    page.goto(f"/admin/intake/case/{submitted.pk}/change/")
    expect(page.locator("#case-location")).to_have_text("28.371234, 121.387654")
    expect(page.get_by_role("link", name="在地图应用中打开")).to_have_attribute(
        "href", "geo:28.371234,121.387654"
    )


def test_refused_permission_still_submits_without_a_location(browser_page, county):
    page = browser_page  # no geolocation permission granted
    page.goto(f"/c/{county.tokens['wage_arrears']}/")
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#location-status")).to_contain_text("可不填位置直接提交")
    page.get_by_label("问题描述").fill("工地老板拖欠三个月工资。")
    page.get_by_label("欠薪单位/老板").fill("某某建筑公司")
    page.get_by_label("拖欠金额（元）").fill("12000")
    page.get_by_label("涉及人数").fill("3")
    page.get_by_role("button", name="提交", exact=True).click()
    page.locator("#tracking-number").wait_for()
    with scopes_disabled():
        from services.intake.models import Case

        assert Case.objects.get().latitude is None


def test_an_officer_on_duty_reports_a_position_and_gets_the_nearest_case(
    browser_page, county, live_server
):
    page = browser_page
    with_position(page, live_server)
    log_in(page, county.username("labour"))
    page.goto("/duty/")
    page.get_by_role("button", name="上岗并共享位置").click()
    expect(page.locator("#duty-last")).to_contain_text("上次上报：")
    with scopes_disabled():
        row = DutyPosition.objects.get(user__username=county.username("labour"))
    assert (row.on_duty, row.latitude, row.longitude) == (True, 28.371234, 121.387654)

    with scopes_disabled():
        routing.create_rule(
            county.tenant,
            "就近派遣",
            county.departments["labour"],
            scenario_codes=["wage_arrears"],
            order=1,
            nearest_officer_km=3,
        )
    assigned = county.routed(latitude="28.38", longitude="121.387654")
    assert case(assigned.pk).officer_id == row.user_id

    page.get_by_role("button", name="下岗（停止共享位置）").click()
    expect(page.locator("#duty-state")).to_contain_text("未在岗")
    with scopes_disabled():
        assert DutyPosition.objects.get(pk=row.pk).latitude is None


def test_a_located_submission_appears_on_the_command_rooms_map(browser_page, county, live_server):
    """The whole way: the phone's position, taken with consent in the browser, reaches the
    dispatcher's county map as a point in the township it lies in, named by its number."""
    from tests.map_world import EAST_TOWN_POINT, load_outlines

    load_outlines(county)
    page = browser_page
    latitude, longitude = EAST_TOWN_POINT
    with_position(page, live_server, {"latitude": latitude, "longitude": longitude})
    page.goto(f"/c/{county.tokens['wage_arrears']}/")
    page.get_by_label("问题描述").fill("工地老板拖欠三个月工资。")
    page.get_by_label("欠薪单位/老板").fill("某某建筑公司")
    page.get_by_label("拖欠金额（元）").fill("12000")
    page.get_by_label("涉及人数").fill("3")
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#location-taken")).to_be_visible()
    page.get_by_role("button", name="提交", exact=True).click()
    number = page.locator("#tracking-number").inner_text().strip()
    run_worker("routing")

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, county.username("dispatcher"))
    page.goto("/dashboard/")
    point = page.locator("svg.county-map circle.case-point", has_text=number)
    expect(point).to_have_count(1)
    east = county.towns["东镇"].pk
    shade = page.locator(f'svg.county-map path[data-region-id="{east}"]')
    assert shade.get_attribute("data-value") == "1", "the open case counts in its township"
