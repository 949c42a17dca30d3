"""Within one county: department staff see the cases their departments lead or co-handle,
nothing else; the command room and administrators see the whole county; a desk sees the
cases it took in (test_need_to_know.py)."""

import pytest
from django.urls import reverse

from tests.builders import build_county, medical_form
from tests.helpers import case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county(db):
    county = build_county("county-a", "甲县", "+8610690000001")
    county.wage = county.routed()  # labour leads, medical co-handles
    county.medical_case = county.routed("medical_insurance", **medical_form())  # medical alone
    return county


def listed(client, case_obj) -> bool:
    page = client.get(reverse("admin:intake_case_changelist")).content.decode()
    return reverse("admin:intake_case_change", args=[case_obj.pk]) in page


@pytest.mark.parametrize(
    ("role", "sees_wage", "sees_medical"),
    [
        ("labour", True, False),
        ("labour-head", True, False),
        ("medical", True, True),  # co-handles the wage case
        ("dispatcher", True, True),
        ("admin", True, True),
        ("desk", False, False),  # took neither in
    ],
)
def test_who_sees_which_case(county, role, sees_wage, sees_medical):
    client = county.client(role)
    assert listed(client, county.wage) is sees_wage
    assert listed(client, county.medical_case) is sees_medical
    for case_obj, sees in ((county.wage, sees_wage), (county.medical_case, sees_medical)):
        response = client.get(reverse("admin:intake_case_change", args=[case_obj.pk]))
        assert response.status_code == (200 if sees else 302), (role, case_obj)


def test_a_department_cannot_act_on_or_note_another_departments_case(county):
    labour = county.client("labour")
    target = county.medical_case
    url = reverse("admin:intake_case_transition", args=[target.pk, "sign_for"])
    assert labour.post(url, {"version": target.updated_at.isoformat()}).status_code == 404
    note = reverse("admin:intake_case_note", args=[target.pk])
    assert labour.post(note, {"note": "越权备注"}).status_code == 404
    assert case(target.pk).state == "assigned"
    assert not case(target.pk).timeline.filter(action="note").exists()


def test_export_follows_the_same_rule(county):
    body = b"".join(
        county.client("labour")
        .get(reverse("admin:intake_case_export_file", args=["csv"]))
        .streaming_content
    ).decode("utf-8-sig")
    assert county.wage.tracking_number in body
    assert county.medical_case.tracking_number not in body
