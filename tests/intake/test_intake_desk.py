"""The reception desk (无差别受理): any scenario of the officer's tenant, the same validation,
channel `desk` and the officer recorded, a printable slip, earlier cases by phone."""

import pytest
from django.contrib.staticfiles import finders
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.intake.models import Case
from tests.builders import entry_token, jpeg_with_gps, upload, wage_arrears_form
from tests.helpers import db_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def _region(tenant_id: int, name: str) -> int:
    return next(pk for pk, path in directory.region_choices(tenant_id) if path.endswith(name))


def test_desk_officer_registers_any_scenario_and_prints_a_slip(client, demo, user_named):
    desk = user_named("xinhe_desk")
    client.force_login(desk)
    home = client.get("/desk/").content.decode()
    for name in ("欠薪求助", "医保违规举报", "人防工程巡查", "校园安全"):
        assert name in home

    form = client.get("/desk/new/medical_insurance/")
    assert form.status_code == 200
    assert form.context["form"].fields["region"].initial == _region(demo.pk, "新河镇")
    village = _region(demo.pk, "长屿村")
    response = client.post(
        "/desk/new/medical_insurance/",
        {
            "description": "诊所让我用医保卡买保健品。",
            "institution": "长屿村某诊所",
            "abuse_type": "串换药品",
            "reporter_phone": "13912345678",
            "region": village,
            "place_label": "长屿村卫生室",
            "photos": [upload("receipt.jpg", jpeg_with_gps(size=(300, 200)))],
        },
    )

    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        case = Case.objects.get()
    assert case.channel == "desk"
    assert case.intake_officer == desk
    assert (case.region_id, case.place_label) == (village, "长屿村卫生室")
    assert case.scenario.code == "medical_insurance"
    with scopes_disabled():
        assert case.photos.count() == 1
        submit_row = case.timeline.get(action="submit")
    assert submit_row.actor == desk
    slip = client.get(response["Location"])
    html = slip.content.decode()
    assert slip.status_code == 200
    assert case.tracking_number in html and "受理回执" in html and "0576-12345" in html
    assert f"/s/{case.access_key}/" in html
    assert 'class="no-print' in html, "the navigation does not go onto the printed slip"
    with open(finders.find("frontend/site.css"), encoding="utf-8") as css:
        assert "@media print" in css.read()


def test_desk_applies_the_same_validation_and_stores_nothing_on_error(client, demo, user_named):
    client.force_login(user_named("xinhe_desk"))
    before = db_snapshot()
    response = client.post(
        "/desk/new/wage_arrears/", wage_arrears_form(workers_affected="0", reporter_phone="12")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"workers_affected", "reporter_phone"}
    assert 'id="id_workers_affected_error"' in response.content.decode()
    assert db_snapshot() == before


def test_desk_cannot_use_another_tenants_region_or_scenario(client, demo, other_tenant, user_named):
    client.force_login(user_named("xinhe_desk"))
    before = db_snapshot()
    response = client.post(
        "/desk/new/wage_arrears/", {**wage_arrears_form(), "region": other_tenant.township_id}
    )
    assert response.status_code == 400
    assert "region" in response.context["form"].errors
    assert db_snapshot() == before

    with scopes_disabled():
        from services.intake.models import Scenario

        Scenario.objects.filter(tenant=demo, code="campus").update(active=False)
    assert client.get("/desk/new/campus/").status_code == 404
    assert client.get("/desk/new/no_such_scenario/").status_code == 404


def test_lookup_by_phone_lists_the_callers_earlier_cases_in_this_tenant_only(
    client, demo, other_tenant, user_named
):
    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    client.post(
        f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form(reporter_phone="13900000000")
    )
    client.post(
        f"/c/{other_tenant.entry_token}/",
        {
            "description": "积水",
            "school": "楚门一小",
            "issue_type": "设施安全",
            "reporter_phone": "13812345678",
        },
    )
    with scopes_disabled():
        mine = Case.objects.get(tenant=demo, reporter_phone="+8613812345678")
        theirs = Case.objects.get(tenant=other_tenant)
    client.force_login(user_named("xinhe_desk"))

    # The citizen at the counter shows their receipt: tracking number and phone together.
    response = client.post(
        "/desk/lookup/", {"phone": "138 1234 5678", "tracking_number": mine.tracking_number}
    )

    html = response.content.decode()
    assert mine.tracking_number in html and "欠薪求助" in html
    assert theirs.pk not in [c.id for c in response.context["cases"]]
    assert [c.tracking_number for c in response.context["cases"]] == [mine.tracking_number]
    # The number alone lists only what this desk took in (none of these).
    assert client.post("/desk/lookup/", {"phone": "138 1234 5678"}).context["cases"] == []

    invalid = client.post("/desk/lookup/", {"phone": "12"})
    assert "请输入有效的手机号码" in invalid.content.decode()
    nobody = client.post("/desk/lookup/", {"phone": "13700000000"})
    assert "没有以往的诉求记录" in nobody.content.decode()


@pytest.mark.parametrize("username", ["labour", None])
def test_only_intake_staff_reach_the_desk(client, demo, user_named, username):
    if username:
        client.force_login(user_named(username))
    before = db_snapshot()
    for url in ("/desk/", "/desk/new/wage_arrears/", "/desk/lookup/"):
        response = client.get(url)
        if username:
            assert response.status_code == 403
            assert "受理窗口" in response.content.decode()
        else:
            assert response.status_code == 302 and "login" in response["Location"]
    client.post("/desk/new/wage_arrears/", wage_arrears_form())
    assert db_snapshot() == before


def test_slip_of_another_tenants_case_is_refused(client, demo, other_tenant, user_named):
    desk = user_named("xinhe_desk")
    region = _region(demo.pk, "新河镇")
    case = intake.submit_for_staff(desk, "wage_arrears", {**wage_arrears_form(), "region": region})
    client.force_login(user_named("yh_desk"))
    assert client.get(f"/desk/slip/{case.id}/").status_code == 403
    client.force_login(desk)
    assert client.get(f"/desk/slip/{case.id}/").status_code == 200
