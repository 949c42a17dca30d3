"""Where a case happened, as staff see it: exact to those who see the whole phone number
(command room, handling departments, whoever took it in), about a kilometre to the others;
the phone form's "使用我的位置" and the desk's fields; entry points' coordinates in the admin."""

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from services.directory.policy import LOCATION_ROUNDING, CaseFacts, Role, sees_exact_location
from tests.builders import build_county
from tests.helpers import case_model

pytestmark = pytest.mark.django_db(transaction=True)

AT = {"latitude": "28.371234", "longitude": "121.387654"}


class Member:
    def __init__(self, role, *, user_id=100, departments=()):
        self.role, self.user_id, self.tenant_id = role, user_id, 1
        self.department_ids = frozenset(departments)
        self.is_department_head = False


@pytest.mark.parametrize(
    "member, confidential, exact",
    [
        (Member(Role.DISPATCHER), False, True),
        (Member(Role.DISPATCHER), True, True),
        (Member(Role.DEPARTMENT, departments=[10]), False, True),  # lead
        (Member(Role.DEPARTMENT, departments=[10]), True, True),
        (Member(Role.DEPARTMENT, departments=[11]), False, True),  # co-handler, as the number
        (Member(Role.DEPARTMENT, departments=[11]), True, False),
        (Member(Role.TENANT_ADMIN), False, False),
        (Member(Role.RECEPTION, user_id=7), True, True),  # took it in
        (Member(Role.RECEPTION), False, False),
        (None, False, False),
    ],
)
def test_the_exact_place_follows_the_phone_number_rule(member, confidential, exact):
    facts = CaseFacts(tenant_id=1, department_id=10, intake_officer_id=7, confidential=confidential)
    assert sees_exact_location(member, facts) is exact
    assert LOCATION_ROUNDING == 2  # about 1.1 km: the village, not the door


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def shown_location(client, case_id) -> str:
    page = client.get(reverse("admin:intake_case_change", args=[case_id]))
    assert page.status_code == 200
    found = re.search(r"id='case-location'>([^<]*)<", page.content.decode())
    return found.group(1) if found else ""


def test_the_case_page_shows_coordinates_exact_or_rounded_by_role(county):
    routed = county.routed(**AT)
    assert (routed.latitude, routed.longitude) == (28.371234, 121.387654)
    for role in ("dispatcher", "labour"):
        assert shown_location(county.client(role), routed.pk) == "28.371234, 121.387654", role
    page = county.client("labour").get(reverse("admin:intake_case_change", args=[routed.pk]))
    assert "geo:28.371234,121.387654" in page.content.decode(), "opens the phone's map app"
    admin = county.client("admin")
    assert shown_location(admin, routed.pk) == "28.37, 121.39"
    assert (
        "121.387654"
        not in admin.get(reverse("admin:intake_case_change", args=[routed.pk])).content.decode()
    )


def test_the_api_rounds_the_same_way(county):
    routed = county.routed(**AT)
    url = f"/api/v1/cases/{routed.tracking_number}/"
    exact = county.client("dispatcher").get(url).json()
    assert (exact["latitude"], exact["longitude"], exact["location_exact"]) == (
        28.371234,
        121.387654,
        True,
    )
    rounded = county.client("admin").get(url).json()
    assert (rounded["latitude"], rounded["longitude"], rounded["location_exact"]) == (
        28.37,
        121.39,
        False,
    )
    schema = county.client("dispatcher").get("/api/schema/").content.decode()
    assert "latitude" in schema and "location_exact" in schema


def test_a_case_without_a_location_says_so(county):
    routed = county.routed()
    page = county.client("dispatcher").get(reverse("admin:intake_case_change", args=[routed.pk]))
    assert "case-location" not in page.content.decode()


def test_the_phone_form_offers_the_button_only_with_its_script(client, county):
    page = client.get(f"/c/{county.tokens['wage_arrears']}/").content.decode()
    # Hidden until location.js shows it: without the script there is no dead button.
    assert re.search(r'<div class="field location" id="location" hidden', page)
    assert "使用我的位置" in page and "/static/frontend/location.js" in page
    assert 'type="hidden" name="latitude"' in page and 'type="hidden" name="longitude"' in page
    assert "<label" not in page.split('name="latitude"')[0].rsplit("</div>", 1)[-1]


def test_the_desk_types_coordinates_in_visible_fields(county):
    desk = county.client("desk")
    page = desk.get("/desk/new/wage_arrears/").content.decode()
    assert 'type="number" name="latitude"' in page and "纬度（选填）" in page
    form = {
        "description": "工地欠薪",
        "employer_name": "某公司",
        "amount_owed": "1000",
        "workers_affected": "2",
        **AT,
    }
    response = desk.post("/desk/new/wage_arrears/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        stored = case_model().objects.latest("pk")
    assert (stored.latitude, stored.longitude, stored.channel) == (28.371234, 121.387654, "desk")
    assert shown_location(desk, stored.pk) == "28.371234, 121.387654", "they took it in"


def test_entry_points_coordinates_are_edited_in_the_admin(county):
    from services.intake.models import EntryPoint

    with scopes_disabled():
        ep = EntryPoint.objects.get(token=county.tokens["wage_arrears"])
    url = reverse("admin:intake_entrypoint_change", args=[ep.pk])
    admin = county.client("admin")
    form = admin.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value.pk if hasattr(value, "pk") else value)
        for name, value in ((n, form[n].value()) for n in form.fields)
    }
    data = {k: v for k, v in data.items() if v is not False}
    data.update(latitude="28.3801", longitude="121.3902")
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    routed = county.routed()  # a citizen without a location of their own gets the poster's
    assert (routed.latitude, routed.longitude) == (28.3801, 121.3902)
