"""The HTTP API: public submission through an entry point's token, staff submission and
reading scoped to the tenant, structured errors, and an OpenAPI 3 schema with docs."""

import pytest
import yaml
from django_scopes import scopes_disabled

from services.intake import api as intake
from services.intake.models import Case
from tests.builders import entry_token, jpeg_with_gps, upload, wage_arrears_form
from tests.helpers import db_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def _json(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_public_client_reads_the_form_declaration_and_submits_json(client, demo):
    token = entry_token(demo.pk, "欠薪")
    declaration = client.get(f"/api/v1/entry-points/{token}/")
    assert declaration.status_code == 200
    body = declaration.json()
    assert body["scenario_code"] == "wage_arrears" and body["max_photos"] == 3
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["workers_affected"]["kind"] == "integer"
    assert fields["workers_affected"]["required"] is True

    data = wage_arrears_form(amount_owed=36000.5, workers_affected=4, months_owed=None)
    data = {k: v for k, v in data.items() if v is not None}
    response = _json(client, f"/api/v1/entry-points/{token}/cases/", data)

    assert response.status_code == 201, response.content
    receipt = response.json()
    with scopes_disabled():
        case = Case.objects.get()
    assert receipt["tracking_number"] == case.tracking_number
    assert receipt["status_url"] == f"http://testserver/s/{case.access_key}/"
    assert receipt["state"] == "submitted"
    assert case.channel == "api"
    assert case.extra["amount_owed"] == "36000.50" and case.extra["workers_affected"] == 4
    assert intake.entry_point_counts(token)[1] == 1


def test_multipart_submission_takes_photos(client, demo):
    token = entry_token(demo.pk, "欠薪")
    response = client.post(
        f"/api/v1/entry-points/{token}/cases/",
        {**wage_arrears_form(), "photos": [upload("a.jpg", jpeg_with_gps(size=(50, 40)))]},
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        assert Case.objects.get().photos.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"description": {"nested": 1}}, "description", "只能是文本"),
        ({"workers_affected": True}, "workers_affected", "只能是文本"),
        ({"workers_affected": [1, 2]}, "workers_affected", "只能是文本"),
        ({"workers_affected": "many"}, "workers_affected", "整数"),
        ({"reporter_phone": "123"}, "reporter_phone", "有效的手机号码"),
        ({"extra_thing": "x"}, "non_field_errors", "未知字段"),
    ],
)
def test_errors_are_structured_field_to_messages_and_nothing_is_stored(
    client, demo, body, field, message
):
    before = db_snapshot()
    response = _json(
        client,
        f"/api/v1/entry-points/{entry_token(demo.pk, '欠薪')}/cases/",
        {**wage_arrears_form(), **body},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["type"] == "urn:gongzhima:problem:invalid-request"
    errors = problem["errors"]
    assert isinstance(errors[field], list) and any(message in m for m in errors[field]), errors
    assert db_snapshot() == before


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "not json", ""])
def test_a_body_that_is_not_an_object_is_refused(client, demo, payload):
    before = db_snapshot()
    response = client.post(
        f"/api/v1/entry-points/{entry_token(demo.pk, '欠薪')}/cases/",
        payload,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert isinstance(response.json(), dict)
    assert db_snapshot() == before


def test_unknown_token_is_404(client, demo):
    assert client.get("/api/v1/entry-points/nope/").status_code == 404
    assert _json(client, "/api/v1/entry-points/nope/cases/", wage_arrears_form()).status_code == 404


def _submit(client, token, **fields):
    response = _json(client, f"/api/v1/entry-points/{token}/cases/", fields)
    assert response.status_code == 201, response.content
    return response.json()["tracking_number"]


CAMPUS = {"description": "校门口积水", "school": "一小", "issue_type": "设施安全"}


def test_staff_read_only_their_own_tenants_cases(client, demo, other_tenant, user_named):
    mine = _submit(client, entry_token(demo.pk, "欠薪"), **wage_arrears_form())
    theirs = _submit(client, other_tenant.entry_token, **CAMPUS)

    assert client.get("/api/v1/cases/").status_code == 401, "anonymous: no reading"
    assert client.get(f"/api/v1/cases/{mine}/").status_code == 401

    client.force_login(user_named("dispatcher"))
    listing = client.get("/api/v1/cases/").json()
    assert [c["tracking_number"] for c in listing["results"]] == [mine]
    detail = client.get(f"/api/v1/cases/{mine}/").json()
    assert detail["extra"]["employer_name"] == "某某建筑公司"
    assert detail["timeline"][0]["action"] == "submit"
    if theirs != mine:
        assert client.get(f"/api/v1/cases/{theirs}/").status_code == 404

    client.force_login(user_named("yh_dispatcher"))
    listing = client.get("/api/v1/cases/").json()
    assert [c["tracking_number"] for c in listing["results"]] == [theirs]


@pytest.mark.django_db(transaction=True)  # the routing worker runs
def test_department_staff_read_only_their_departments_cases(client, demo, user_named, drain):
    number = _submit(client, entry_token(demo.pk, "欠薪"), **wage_arrears_form())
    drain("routing")  # assigned to the labour bureau
    client.force_login(user_named("education"))
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert client.get(f"/api/v1/cases/{number}/").status_code == 404
    client.force_login(user_named("labour"))
    assert [c["tracking_number"] for c in client.get("/api/v1/cases/").json()["results"]] == [
        number
    ]
    assert client.get(f"/api/v1/cases/{number}/").json()["department"] == "市人力社保局"


def test_staff_submit_for_a_citizen_through_the_api(client, demo, other_tenant, user_named):
    client.force_login(user_named("xinhe_desk"))
    response = _json(client, "/api/v1/cases/", {"scenario": "campus", **CAMPUS})
    assert response.status_code == 201, response.content
    with scopes_disabled():
        case = Case.objects.get()
    assert (case.channel, case.intake_officer.username, case.tenant_id) == (
        "api",
        "xinhe_desk",
        demo.pk,
    )

    before = db_snapshot()
    foreign_region = _json(
        client,
        "/api/v1/cases/",
        {"scenario": "campus", "region": other_tenant.township_id, **CAMPUS},
    )
    assert foreign_region.status_code == 400 and "region" in foreign_region.json()["errors"]
    for code in ("nope", [], ["nope"], 7):
        unknown = _json(client, "/api/v1/cases/", {**CAMPUS, "scenario": code})
        assert unknown.status_code == 400 and "scenario" in unknown.json()["errors"]
    client.force_login(user_named("labour"))
    assert _json(client, "/api/v1/cases/", {"scenario": "campus", **CAMPUS}).status_code == 403
    assert db_snapshot() == before


def test_openapi_schema_and_docs_are_served_at_stable_urls(client, demo):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    spec = yaml.safe_load(schema.content)
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert "/api/v1/entry-points/{token}/cases/" in paths
    assert "/api/v1/cases/{tracking_number}/" in paths
    submit = paths["/api/v1/entry-points/{token}/cases/"]["post"]
    assert {"201", "400", "404", "410"} <= set(submit["responses"])

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger" in html.lower() and "drf_spectacular_sidecar" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower(), "served from our static files"
