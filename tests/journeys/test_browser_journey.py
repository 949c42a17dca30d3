"""A citizen submits on a 360-px phone screen in a real browser; routing assigns the case."""

import pytest

from tests.builders import entry_token
from tests.helpers import all_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_form_submission_gets_a_tracking_number_and_is_assigned(
    browser_page, demo, drain, live_server
):
    page = browser_page
    page.goto(f"/c/{entry_token(demo.pk, '欠薪')}/")
    assert page.locator("h1").inner_text() == "欠薪求助"
    page.get_by_label("问题描述").fill("老板拖欠三个月工资。")
    page.get_by_label("欠薪单位/老板").fill("某某建筑公司")
    page.get_by_label("拖欠金额（元）").fill("12000")
    page.get_by_label("涉及人数").fill("3")
    page.get_by_label("手机号码（选填）").fill("13812345678")
    page.get_by_role("button", name="提交").click()

    tracking = page.locator("#tracking-number").inner_text().strip()
    (case,) = all_cases()
    assert tracking == case.tracking_number
    drain("routing")
    page.get_by_role("link", name="查看办理进展").click()
    assert page.locator(".state").inner_text() == "已分拨"
