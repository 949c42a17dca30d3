"""Where a case happened: one latitude/longitude pair, checked once at the edge and stored
as given, or taken from the poster when the citizen gave none."""

import pytest
from django_scopes import scopes_disabled

from services.intake.models import Case, EntryPoint
from tests.builders import entry_token, wage_arrears_form

pytestmark = pytest.mark.django_db


def _submit(client, token, **extra):
    data = {k: v for k, v in wage_arrears_form(**extra).items() if v is not None}
    return client.post(
        f"/api/v1/entry-points/{token}/cases/", data, content_type="application/json"
    )


def test_coordinates_given_with_the_submission_are_stored_rounded(client, demo):
    response = _submit(
        client, entry_token(demo.pk, "欠薪"), latitude=28.37512345678, longitude=121.3861
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        case = Case.objects.get()
    assert (case.latitude, case.longitude) == (28.375123, 121.3861)


@pytest.mark.parametrize(
    "given, message",
    [
        ({"latitude": 28.1}, "位置需同时包含纬度和经度"),
        ({"latitude": 95, "longitude": 121.0}, "纬度"),
        ({"latitude": 28.1, "longitude": "东经121"}, "经度"),
    ],
)
def test_half_or_impossible_locations_are_refused_in_chinese(client, demo, given, message):
    response = _submit(client, entry_token(demo.pk, "欠薪"), **given)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Case.objects.exists()


def test_a_case_without_a_location_takes_its_posters(client, demo):
    token = entry_token(demo.pk, "欠薪")
    with scopes_disabled():
        EntryPoint.objects.filter(token=token).update(latitude=28.4, longitude=121.4)
    assert _submit(client, token).status_code == 201
    assert _submit(client, token, latitude=28.5, longitude=121.5).status_code == 201
    with scopes_disabled():
        stored = list(Case.objects.order_by("pk").values_list("latitude", "longitude"))
    assert stored == [(28.4, 121.4), (28.5, 121.5)]
