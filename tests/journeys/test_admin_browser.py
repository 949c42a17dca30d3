"""In a real browser: department staff log into the admin, find the case in their inbox, sign
for it and resolve it with the buttons; the command room's screen picks up a new case."""

import pytest
from playwright.sync_api import expect

from tests.builders import build_county
from tests.helpers import case, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def test_department_staff_sign_for_and_resolve_a_case_with_the_buttons(browser_page, county):
    assigned = county.routed(description="夜里水泵太吵，影响休息。")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, county.username("labour"))

    page.get_by_role("link", name="案件").first.click()
    page.get_by_role("link", name=assigned.tracking_number).click()
    expect(page.get_by_text("夜里水泵太吵，影响休息。")).to_be_visible()

    page.get_by_role("button", name="签收").click()
    expect(page.get_by_text(f"案件 {assigned.tracking_number} 已签收。")).to_be_visible()
    assert case(assigned.pk).state == "in_progress"

    page.get_by_label("办理结果（将发送给市民）").fill("已联系水厂更换增压泵，噪声已消除。")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_text(f"案件 {assigned.tracking_number} 已办结。")).to_be_visible()
    resolved = case(assigned.pk)
    assert (resolved.state, resolved.result) == ("resolved", "已联系水厂更换增压泵，噪声已消除。")
    assert page.locator("#case-transitions form.case-transition").count() == 0  # nothing to press


def test_the_command_room_screen_shows_a_new_case_without_a_reload(
    browser_page, county, monkeypatch
):
    """The test server speaks no websocket, so this is the page's fallback: it polls and the
    case appears; its description shows as text."""
    from frontend import dashboard

    # With Redis configured the page polls rarely (pushes carry the news); not here.
    monkeypatch.setattr(dashboard, "POLL_SECONDS_WITH_PUSH", dashboard.POLL_SECONDS_IN_MEMORY)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, county.username("dispatcher"))
    page.goto("/dashboard/")
    assert page.locator("#feed .empty").is_visible()
    created = county.submit(description="<img src=x onerror=alert(1)>新案件")
    item = page.locator(f'#feed li[data-id="{created}"]')
    item.wait_for(timeout=15_000)
    assert item.locator(".excerpt").inner_text() == "<img src=x onerror=alert(1)>新案件"
    assert page.locator("#feed img").count() == 0
    assert page.locator("#live-status").get_attribute("data-state") in ("polling", "connecting")
