"""The receipt and the status page: reached by tracking number + the phone's last four digits
or by the private link; the public timeline shows states and replies, never staff names or
internal notes."""

import pytest
from django_scopes import scopes_disabled

from services.intake import api as intake
from services.intake.models import Case
from tests.builders import entry_token, wage_arrears_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def _submit(client, token, **overrides) -> Case:
    response = client.post(f"/c/{token}/", wage_arrears_form(**overrides))
    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        return Case.objects.get(access_key=response["Location"].split("/")[2])


def test_receipt_says_what_happens_next_and_when(client, demo):
    case = _submit(client, entry_token(demo.pk, "欠薪"))
    html = client.get(f"/r/{case.access_key}/").content.decode()
    assert case.tracking_number in html
    assert "1 个工作日内分派" in html
    assert "一般在 5 个工作日内" in html
    assert f"/s/{case.access_key}/" in html
    assert "手机号码后四位" in html


def test_anonymous_receipt_offers_the_private_link_as_the_only_way_back(client, demo):
    case = _submit(client, entry_token(demo.pk, "欠薪"), reporter_phone="")
    html = client.get(f"/r/{case.access_key}/").content.decode()
    assert f"http://testserver/s/{case.access_key}/" in html
    assert "唯一方式" in html


@pytest.mark.parametrize(
    ("tracking", "last_four"),
    [
        ("{n}", "5678"),
        (" {n} ", "5678"),
        ("{fullwidth}", "５６７８"),  # typed with a Chinese input method
    ],
)
def test_tracking_number_and_last_four_digits_open_the_status_page(
    client, demo, tracking, last_four
):
    case = _submit(client, entry_token(demo.pk, "欠薪"))
    n = case.tracking_number
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else "－" for c in n)
    response = client.post(
        "/status/",
        {"tracking_number": tracking.format(n=n, fullwidth=fullwidth), "last_four": last_four},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/s/{case.access_key}/"


@pytest.mark.parametrize(
    ("tracking", "last_four"),
    [
        ("{n}", "5679"),  # wrong phone
        ("{other}", "5678"),  # wrong number
        ("{n}", ""),
        ("{n}", "567"),
        ("{n}", "abcd"),
        ("", "5678"),
        ("{n}", "%"),
    ],
)
def test_a_wrong_pair_gets_one_answer_that_reveals_nothing(client, demo, tracking, last_four):
    case = _submit(client, entry_token(demo.pk, "欠薪"))
    other = case.tracking_number[:-1] + str((int(case.tracking_number[-1]) + 1) % 10)
    response = client.post(
        "/status/",
        {
            "tracking_number": tracking.format(n=case.tracking_number, other=other),
            "last_four": last_four,
        },
    )
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有找到与该受理编号和手机尾号相符的记录" in html
    assert case.access_key not in html and "王师傅" not in html


def test_anonymous_case_is_not_found_by_number_alone(client, demo):
    case = _submit(client, entry_token(demo.pk, "欠薪"), reporter_phone="")
    for digits in ("0000", ""):
        response = client.post(
            "/status/", {"tracking_number": case.tracking_number, "last_four": digits}
        )
        assert response.status_code == 404


@pytest.mark.django_db(transaction=True)  # the worker closes the connection it used
def test_public_timeline_shows_states_and_replies_but_no_staff_or_internal_notes(
    client, demo, drain, user_named
):
    case = _submit(client, entry_token(demo.pk, "欠薪"))
    drain("routing")
    labour = user_named("labour")
    intake.take_transition(case.pk, "sign_for", labour, note="内部：张科长已知悉")
    intake.add_timeline_note(case.pk, "note", "内部备注：老板电话 139xxxx", by=labour)
    intake.take_transition(
        case.pk, "resolve", labour, note="已责令企业于本周五前足额支付工资。", result="已解决"
    )

    html = client.get(f"/s/{case.access_key}/").content.decode()

    assert "已办结" in html
    assert "已责令企业于本周五前足额支付工资。" in html, "the reply to the citizen is shown"
    assert "处置中" in html and "已分拨" in html, "every state change is shown"
    for secret in ("张科长", "内部备注", "139xxxx", labour.first_name, "labour"):
        assert secret not in html, secret


def test_a_status_page_never_crosses_tenants_or_guesses_keys(client, demo, other_tenant):
    mine = _submit(client, entry_token(demo.pk, "欠薪"))
    theirs_response = client.post(
        f"/c/{other_tenant.entry_token}/",
        {
            "description": "校门口积水",
            "school": "楚门一小",
            "issue_type": "设施安全",
            "reporter_phone": "13812345678",
        },
    )
    assert theirs_response.status_code == 302
    with scopes_disabled():
        theirs = Case.objects.get(tenant=other_tenant)
        # The same tracking number in both counties, the same phone: the lookup lets the
        # citizen choose between their own two cases, and shows nobody else's.
        Case.objects.filter(pk=theirs.pk).update(tracking_number=mine.tracking_number)
    response = client.post(
        "/status/", {"tracking_number": mine.tracking_number, "last_four": "5678"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/s/{mine.access_key}/" in html and f"/s/{theirs.access_key}/" in html

    assert client.get(f"/s/{mine.access_key[:-1]}x/").status_code == 404
    assert client.get("/s/1/").status_code == 404
