"""Who reads which case and who sees a citizen's full number, place by place (the README's
table "Who sees a phone number"): the admin's case page, the API, exports, the notify admin,
the dashboard; a desk's need-to-know; confidential scenarios (举报类); 短信设置 for the tenant
administrator."""

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from services.intake import api as intake
from tests.builders import build_county, jpeg_with_gps, medical_form, upload
from tests.helpers import case, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_media")]

FULL, MASKED = "+8613812345678", "138****5678"
ROLES = ("admin", "dispatcher", "labour", "medical", "desk")


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def mark_confidential(county, code: str) -> None:
    from services.intake.models import Scenario

    with scopes_disabled():
        intake.mark_confidential(Scenario.objects.get(tenant=county.tenant, code=code))


def shown(text: str) -> str:
    """Which form of the number a page or body carries: "full", "masked" or "none"."""
    if FULL in text or "13812345678" in text:
        return "full"
    return "masked" if MASKED in text else "none"


def case_page(county, role: str, case_id: int):
    return county.client(role).get(reverse("admin:intake_case_change", args=[case_id]))


def api_case(county, role: str, tracking_number: str):
    return county.client(role).get(f"/api/v1/cases/{tracking_number}/")


def export_rows(county, role: str) -> dict[str, dict]:
    response = county.client(role).get(reverse("admin:intake_case_export_file", args=["csv"]))
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


# A wage-arrears case from the QR code: labour leads it (承办), medical co-handles it (协办);
# nobody took it in at a desk. "none" for a place the role cannot open at all.
PLACES = {
    "case page": {
        "admin": "masked",
        "dispatcher": "full",
        "labour": "full",
        "medical": "full",
        "desk": "none",
    },
    "api": {"admin": "masked", "dispatcher": "full", "labour": "full", "medical": "full"},
    "export": {"admin": "masked", "dispatcher": "full", "labour": "full", "medical": "full"},
}


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_the_number_whole_place_by_place(county, role):
    routed = county.routed(reporter_phone="138 1234 5678")

    page = case_page(county, role, routed.pk)
    assert (shown(page.content.decode()) if page.status_code == 200 else "none") == PLACES[
        "case page"
    ][role]

    response = api_case(county, role, routed.tracking_number)
    expected = PLACES["api"].get(role, "none")
    assert response.status_code == (200 if expected != "none" else 404)
    if response.status_code == 200:
        assert shown(json.dumps(response.json())) == expected

    row = export_rows(county, role).get(routed.tracking_number)
    assert (shown(row["联系电话"]) if row else "none") == PLACES["export"].get(role, "none")


def test_the_desk_officer_who_took_it_in_sees_it_whole_everywhere(county):
    desk = county.user("desk")
    taken = intake.submit_for_staff(
        desk, "wage_arrears", {**_wage(), "region": county.towns["东镇"].pk}
    )
    client = county.client("desk")
    assert shown(api_case(county, "desk", taken.tracking_number).content.decode()) == "full"
    assert shown(case_page(county, "desk", taken.id).content.decode()) == "full"
    assert shown(export_rows(county, "desk")[taken.tracking_number]["联系电话"]) == "full"
    assert client.get(f"/desk/slip/{taken.id}/").status_code == 200


def _wage(**overrides) -> dict:
    from tests.builders import wage_arrears_form

    return wage_arrears_form(**overrides)


def test_a_desk_reads_the_cases_it_took_in_and_no_other(county, private_media):
    # Another township's medical-insurance fraud report, with a photo (via the QR code).
    Client().post(
        f"/c/{county.tokens['medical_insurance']}/",
        {**medical_form(reporter_name="李女士"), "photos": [upload("a.jpg", jpeg_with_gps())]},
    )
    run_worker("routing")
    with scopes_disabled():
        report = case_model_latest(county)
        photo = report.photos.get()
    desk = county.client("desk")

    assert desk.get(f"/api/v1/cases/{report.tracking_number}/").status_code == 404
    assert report.tracking_number not in desk.get("/api/v1/cases/").content.decode()
    listing = desk.get(reverse("admin:intake_case_changelist")).content.decode()
    assert report.tracking_number not in listing
    assert case_page(county, "desk", report.pk).status_code in (302, 404)
    assert desk.get(f"/intake/photos/{photo.token}/full.jpg").status_code == 404
    assert desk.get(f"/desk/slip/{report.pk}/").status_code == 403
    assert report.tracking_number not in export_rows(county, "desk")


def test_at_the_counter_a_desk_finds_a_case_by_tracking_number_and_phone(county):
    report = county.routed("medical_insurance", **medical_form())
    desk = county.client("desk")

    by_phone = desk.post("/desk/lookup/", {"phone": "139 1234 5678"})
    assert by_phone.context["cases"] == []
    assert report.tracking_number not in by_phone.content.decode()

    wrong_phone = desk.post(
        "/desk/lookup/", {"phone": "139 0000 0000", "tracking_number": report.tracking_number}
    )
    assert wrong_phone.context["cases"] == []

    proven = desk.post(
        "/desk/lookup/", {"phone": "139 1234 5678", "tracking_number": report.tracking_number}
    )
    assert [c.tracking_number for c in proven.context["cases"]] == [report.tracking_number]
    assert "13912345678" not in proven.content.decode()

    dispatcher = county.client("dispatcher").post("/desk/lookup/", {"phone": "13912345678"})
    assert [c.tracking_number for c in dispatcher.context["cases"]] == [report.tracking_number]


def case_model_latest(county):
    from services.intake.models import Case

    return Case.objects.filter(tenant=county.tenant).select_related("scenario").latest("pk")


def test_a_confidential_reporter_is_shown_only_to_those_who_act_on_them(
    county,
    private_media,
):
    mark_confidential(county, "wage_arrears")  # labour leads, medical co-handles
    Client().post(
        f"/c/{county.tokens['wage_arrears']}/",
        {**_wage(reporter_name="举报人王某"), "photos": [upload("a.jpg", jpeg_with_gps())]},
    )
    run_worker("routing")
    with scopes_disabled():
        report = case_model_latest(county)
        photo = f"/intake/photos/{report.photos.get().token}/full.jpg"

    for role, sees in (
        ("dispatcher", True),
        ("labour", True),
        ("admin", False),
        ("medical", False),
    ):
        client = county.client(role)
        page = case_page(county, role, report.pk).content.decode()
        body = api_case(county, role, report.tracking_number).json()
        assert ("举报人王某" in page) is sees, role
        assert (body["reporter_name"] == "举报人王某") is sees, role
        assert (client.get(photo).status_code == 200) is sees, role
        if not sees:
            assert shown(page) == shown(json.dumps(body)) == "none", role
            assert body["photos"] == [] and "举报人信息仅" in page
            row = export_rows(county, role)[report.tracking_number]
            assert row["联系电话"] == "", role
            listing = client.get(reverse("admin:intake_case_changelist")).content.decode()
            assert MASKED not in listing, role

    card = intake.case_cards(county.tenant.pk, ids=[report.pk])[0]
    assert card.phone == ""  # the wall screen is seen by whoever stands in the room


def test_the_demo_marks_medical_insurance_confidential(demo):
    from services.intake.models import Scenario

    with scopes_disabled():
        confidential = set(
            Scenario.objects.filter(tenant=demo, confidential=True).values_list("code", flat=True)
        )
    assert confidential == {"medical_insurance"}


def test_the_notify_admin_masks_numbers_for_the_tenant_administrator(county, sms_outbox):
    routed = county.routed(reporter_phone="138 1234 5678")
    run_worker("notify", "default")  # the receipt SMS
    from services.notify.models import InboundMessage, Message, OptOut

    with scopes_disabled():
        message = Message.objects.filter(case_id=routed.pk).first()
        inbound = InboundMessage.objects.create(
            tenant=county.tenant, provider_id="SM-in-1", sender=FULL, body="5"
        )
        opt_out = OptOut.objects.create(tenant=county.tenant, phone=FULL)
    pages = [
        reverse("admin:notify_message_change", args=[message.pk]),
        reverse("admin:notify_inboundmessage_change", args=[inbound.pk]),
        reverse("admin:notify_optout_change", args=[opt_out.pk]),
        reverse("admin:notify_optout_changelist"),
        reverse("admin:notify_message_changelist"),
    ]
    for role, expected in (("admin", "masked"), ("dispatcher", "full")):
        client = county.client(role)
        for url in pages[:3]:
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            assert shown(response.content.decode()) == expected, (role, url)
        for url in pages[3:]:
            assert shown(client.get(url).content.decode()) == "masked", (role, url)


def test_the_tenant_administrator_sets_up_sms_settings(county):
    from services.notify.models import NotifySettings

    with scopes_disabled():
        settings_row, _created = NotifySettings.objects.get_or_create(tenant=county.tenant)
    client = county.client("admin")
    assert client.get(reverse("admin:notify_notifysettings_changelist")).status_code == 200
    url = reverse("admin:notify_notifysettings_change", args=[settings_row.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(
        {k: ("" if v is None else v) for k, v in data.items()},
        quiet_start="21:30",
        quiet_end="07:30",
        progress_sms="on" if data.get("progress_sms") else "",
        staff_sms_alerts="on" if data.get("staff_sms_alerts") else "",
    )
    data = {k: v for k, v in data.items() if v not in (False,)}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    settings_row.refresh_from_db()
    assert settings_row.quiet_start.strftime("%H:%M") == "21:30"
    assert "短信设置" in client.get(reverse("admin:index")).content.decode()
    other = build_county("county-b", "乙县", "+8610690000002")
    with scopes_disabled():
        theirs, _created = NotifySettings.objects.get_or_create(tenant=other.tenant)
    assert (
        client.get(reverse("admin:notify_notifysettings_change", args=[theirs.pk])).status_code
        == 302
    )  # another county's settings: "does not exist", back to the index


def test_routed_case_is_readable_by_lead_and_cohandler(county):
    routed = county.routed()
    for role in ("labour", "medical"):
        assert case_page(county, role, routed.pk).status_code == 200
    assert case(routed.pk).department_id == county.departments["labour"].pk


def test_a_search_by_number_does_not_reveal_a_confidential_report(county):
    mark_confidential(county, "medical_insurance")
    report = county.routed("medical_insurance", **medical_form())
    ordinary = county.routed(reporter_phone="139 1234 5678")
    url = reverse("admin:intake_case_changelist")
    for role, finds_report in (("admin", False), ("dispatcher", True), ("medical", True)):
        found = {
            c.tracking_number
            for c in county.client(role).get(url, {"q": "13912345678"}).context["cl"].result_list
        }
        assert (report.tracking_number in found) is finds_report, role
        assert ordinary.tracking_number in found, role  # medical co-handles it
    # Its text is still found by those who read the case: only the number is withheld.
    found = county.client("admin").get(url, {"q": "冒用他人医保卡"}).context["cl"].result_list
    assert [c.tracking_number for c in found] == [report.tracking_number]
