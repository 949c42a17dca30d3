"""The citizens' phone pages: small, no JavaScript, Chinese by default, English by the browser's
Accept-Language or the switch; and in a real browser at 360 px."""

import re
from html.parser import HTMLParser

import pytest
from django_scopes import scopes_disabled

from services.intake.models import Case
from tests.builders import entry_token, jpeg_with_gps, wage_arrears_form

# Photos go to a fresh directory per test (conftest: private_media).
pytestmark = pytest.mark.usefixtures("private_media")


FORM_PAGE_BUDGET = 20 * 1024  # bytes: HTML and everything it loads, uncompressed


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "icon"):
            self.urls.append(attrs["href"])
        if tag in ("img", "script", "iframe") and attrs.get("src"):
            self.urls.append(attrs["src"])


@pytest.mark.django_db
def test_form_page_transfer_is_small_with_only_our_script_and_no_web_font(client, demo):
    from django.contrib.staticfiles import finders

    page = client.get(f"/c/{entry_token(demo.pk, '欠薪')}/")
    html = page.content
    assets = _Assets()
    assets.feed(html.decode())
    # One script, ours and optional: "使用我的位置" (frontend/location.js). The form works
    # without it: the button stays hidden and nothing else depends on it.
    assert assets.scripts == 1 and "/static/frontend/location.js" in assets.urls
    total = len(html)
    for url in assets.urls:
        assert url.startswith("/static/"), f"everything from our own server: {url}"
        path = finders.find(url.removeprefix("/static/"))
        with open(path, "rb") as f:
            body = f.read()
        assert b"@font-face" not in body and b"@import" not in body
        total += len(body)
    print(f"form page transfer: {total} bytes")
    assert len(assets.urls) == 2
    assert total < FORM_PAGE_BUDGET


@pytest.mark.django_db
def test_chinese_by_default_and_english_by_accept_language(client, demo):
    token = entry_token(demo.pk, "欠薪")
    chinese = client.get(f"/c/{token}/").content.decode()
    assert '<html lang="zh-hans">' in chinese and "问题描述" in chinese

    english = client.get(f"/c/{token}/", headers={"accept-language": "en-US,en;q=0.9"})
    html = english.content.decode()
    assert '<html lang="en">' in html
    assert "Description of the problem" in html and "Submit" in html
    assert "欠薪单位/老板" in html, "the scenario's own fields are the tenant's data, as entered"

    refused = client.post(
        f"/c/{token}/",
        wage_arrears_form(description="", reporter_phone="1"),
        headers={"accept-language": "en"},
    )
    text = refused.content.decode()
    assert "Please describe the problem." in text
    assert "Enter a valid mobile number" in text


@pytest.mark.django_db
def test_the_language_switch_works_without_javascript(client, demo):
    token = entry_token(demo.pk, "欠薪")
    page = client.get(f"/c/{token}/").content.decode()
    assert 'name="language" value="en"' in page
    switched = client.post("/i18n/setlang/", {"language": "en", "next": f"/c/{token}/"})
    assert switched.status_code == 302 and switched["Location"] == f"/c/{token}/"
    assert "Description of the problem" in client.get(f"/c/{token}/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "问题描述" in client.get(f"/c/{token}/").content.decode()


@pytest.mark.django_db
def test_every_input_has_a_label_tied_to_it(client, demo):
    for name in ("欠薪", "医保", "人防", "校园"):
        html = client.get(f"/c/{entry_token(demo.pk, name)}/").content.decode()
        # Hidden inputs (the location the script fills in) are not for people to label.
        ids = set(
            re.findall(r'<(?:input(?![^>]*type="hidden")|select|textarea)[^>]*\bid="([^"]+)"', html)
        )
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        inputs = {i for i in ids if not i.startswith("id_csrf")}
        assert inputs and inputs <= labelled, (name, inputs - labelled)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_form_at_360_px_with_an_error_then_a_photo_shows_the_receipt(
    browser_page, demo, tmp_path
):
    page = browser_page
    page.goto(f"/c/{entry_token(demo.pk, '欠薪')}/")
    assert page.viewport_size["width"] == 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
    submit = page.get_by_role("button", name="提交")
    assert submit.bounding_box()["height"] >= 44, "a large touch target"

    page.get_by_label("问题描述").fill("老板拖欠三个月工资。")
    page.get_by_label("欠薪单位/老板").fill("某某建筑公司")
    page.get_by_label("拖欠金额（元）").fill("12000")
    page.get_by_label("涉及人数").fill("0")
    submit.click()

    error = page.locator("#id_workers_affected_error")
    assert "1" in error.inner_text()
    assert page.get_by_label("问题描述").input_value() == "老板拖欠三个月工资。", (
        "nothing typed is lost"
    )
    page.get_by_label("涉及人数").fill("3")
    photo = tmp_path / "site.jpg"
    photo.write_bytes(jpeg_with_gps(size=(800, 600)))
    page.get_by_label("现场照片（选填，最多 3 张）").set_input_files(str(photo))
    page.get_by_label("手机号码（选填）").fill("138 1234 5678")
    page.get_by_role("button", name="提交").click()

    tracking = page.locator("#tracking-number").inner_text().strip()
    with scopes_disabled():
        case = Case.objects.get()
        assert case.photos.count() == 1
    assert tracking == case.tracking_number
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="查看办理进展").click()
    assert page.locator(".state").inner_text() == "已受理"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_desk_officer_registers_a_walk_in_citizen_in_the_browser(browser_page, demo):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/desk/")
    page.locator("#id_username").fill("xinhe_desk")
    page.locator("#id_password").fill("gongzhi-demo")
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.get_by_role("link", name="校园安全").click()
    page.get_by_label("问题描述").fill("放学时校门口车辆乱停。")
    page.get_by_label("学校名称").fill("新河镇中心小学")
    page.get_by_label("问题类型").select_option("周边交通")
    page.get_by_label("具体地点").fill("校门口东侧")
    page.get_by_role("button", name="登记并打印回执").click()

    tracking = page.locator("#tracking-number").inner_text().strip()
    with scopes_disabled():
        case = Case.objects.get()
    assert tracking == case.tracking_number
    assert (case.channel, case.intake_officer.username) == ("desk", "xinhe_desk")
    page.emulate_media(media="print")
    assert not page.locator(".desk-nav").is_visible(), "the slip prints without the navigation"
    assert page.locator(".slip").is_visible()
