"""In a real browser, the whole workflow with every person at their own screen: a citizen's
phone, department staff and the command room in the admin.

1. submit → route → sign for → resolve with a photo → the citizen sees the result →
   dissatisfied twice → the 督办 queue → the dispatcher reassigns → resolve → satisfied →
   closed;
2. the dispatcher closes a case whose citizen cannot be reached, with a reason.

Ratings are chosen by their label, never by number (the scale's numbers may change).
"""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from tests.builders import build_county, jpeg_with_gps
from tests.helpers import case, log_in, run_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_media"),
]


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


@pytest.fixture
def screen(browser_page, live_server):
    """Opens another person's screen (own cookies) in the same browser."""

    def open_screen(width: int = 1280, height: int = 900):
        context = browser_page.context.browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", base_url=live_server.url
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    return open_screen


def open_case(page, tracking_number: str) -> None:
    page.goto("/admin/intake/case/")
    page.get_by_role("link", name=tracking_number).click()


def press(page, button: str, tracking_number: str, done: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(f"案件 {tracking_number} 已{done}。")).to_be_visible()


def sign_for_and_resolve(page, tracking_number: str, result: str, photo: bytes = b"") -> None:
    open_case(page, tracking_number)
    press(page, "签收", tracking_number, "签收")
    page.get_by_label("办理结果（将发送给市民）").fill(result)
    if photo:
        page.get_by_label("结果附件（照片或 PDF，选填，市民可见）").set_input_files(
            files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
    press(page, "办结", tracking_number, "办结")


def survey_token(case_id: int, round_: int) -> str:
    from services.notify.models import Survey

    run_worker("notify")
    with scopes_disabled():
        return Survey.objects.get(case_id=case_id, round=round_).token


def rate(phone, token: str, label: str, comment: str = "") -> None:
    phone.goto(f"/v/{token}/")
    expect(phone.locator(".result")).to_be_visible()  # what is being rated
    phone.get_by_label(label, exact=True).check()
    if comment:
        phone.get_by_label("意见（选填）").fill(comment)
    phone.get_by_role("button", name="下一步").click()
    expect(phone.locator("#chosen-rating")).to_have_text(label)
    phone.get_by_role("button", name="确认提交").click()
    expect(phone.get_by_text("感谢您的评价！")).to_be_visible()
    run_worker("intake", "notify")


def test_a_case_from_the_phone_through_supervision_to_closure(browser_page, screen, county):
    phone = browser_page
    phone.goto(f"/c/{county.tokens['wage_arrears']}/")
    phone.get_by_label("问题描述").fill("工地老板拖欠三个月工资。")
    phone.get_by_label("欠薪单位/老板").fill("某某建筑公司")
    phone.get_by_label("拖欠金额（元）").fill("12000")
    phone.get_by_label("涉及人数").fill("3")
    phone.get_by_label("手机号码（选填）").fill("13812345678")
    phone.get_by_role("button", name="提交").click()
    number = phone.locator("#tracking-number").inner_text().strip()
    run_worker("routing")
    run_worker("deadlines", "notify")
    phone.get_by_role("link", name="查看办理进展").click()
    expect(phone.locator(".state")).to_have_text("已分拨")
    status_url = phone.url
    with scopes_disabled():
        from tests.helpers import case_model

        case_id = case_model().objects.get(tracking_number=number).pk

    labour = screen()
    log_in(labour, county.username("labour"))
    sign_for_and_resolve(labour, number, "已约谈企业负责人，承诺月底前结清。", jpeg_with_gps())

    token = survey_token(case_id, 0)
    phone.goto(status_url)
    expect(phone.locator(".state")).to_have_text("已办结")
    expect(phone.locator(".result-text")).to_have_text("已约谈企业负责人，承诺月底前结清。")
    photo = phone.locator("img.result-photo")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the photo loads"

    rate(phone, token, "不满意", "到现在还没发工资")
    assert case(case_id).state == "in_progress"
    open_case(labour, number)
    labour.get_by_label("办理结果（将发送给市民）").fill("已再次督促企业。")
    press(labour, "办结", number, "办结")
    rate(phone, survey_token(case_id, 1), "不满意")
    assert (case(case_id).state, case(case_id).escalated) == ("resolved", True)

    dispatcher = screen()
    log_in(dispatcher, county.username("dispatcher"))
    dispatcher.goto("/admin/intake/case/")
    dispatcher.locator("#changelist-filter").get_by_role("link", name="督办中").click()
    dispatcher.get_by_role("link", name=number).click()
    dispatcher.get_by_label("改派部门").select_option(label="甲县医疗保障局")
    dispatcher.locator("#note-reassign").fill("督办：企业涉及医保欠缴，改由医保局牵头")
    press(dispatcher, "改派", number, "改派")
    assert case(case_id).department_id == county.departments["medical"].pk
    run_worker("deadlines", "notify")

    medical = screen()
    log_in(medical, county.username("medical"))
    sign_for_and_resolve(medical, number, "医保局会同人社局追回欠薪，已全部发放。")
    rate(phone, survey_token(case_id, 2), "非常满意")
    assert case(case_id).state == "closed"
    phone.goto(status_url)
    expect(phone.locator(".state")).to_have_text("已结案")

    dispatcher.goto("/admin/intake/case/?supervision=open")
    expect(dispatcher.get_by_role("link", name=number)).to_have_count(0)


def test_the_dispatcher_closes_an_unreachable_citizens_case_with_a_reason(
    browser_page, screen, county
):
    from services.intake import api as intake

    assigned = county.routed(reporter_phone="")  # no number to survey or call back
    labour = county.user("labour")
    intake.take_transition(assigned.pk, "sign_for", labour)
    intake.resolve_case(assigned.pk, labour, "已责令企业限期支付。")

    dispatcher = screen()
    log_in(dispatcher, county.username("dispatcher"))
    open_case(dispatcher, assigned.tracking_number)
    reason = "市民未留联系方式，无法回访；已现场核实企业已支付，予以结案。"
    dispatcher.get_by_label("结案说明（市民可见，如：多次电话无法联系到市民）").fill(reason)
    press(dispatcher, "说明结案", assigned.tracking_number, "说明结案")
    assert case(assigned.pk).state == "closed"
    timeline = dispatcher.locator("#timeline-group")
    expect(timeline.get_by_text(reason)).to_be_visible()

    phone = browser_page
    phone.goto(f"/s/{assigned.access_key}/")
    expect(phone.locator(".state")).to_have_text("已结案")
    expect(phone.get_by_text(reason)).to_be_visible()
