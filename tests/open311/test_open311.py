"""Open311 GeoReport v2 at /open311/v2/: services and definitions, keyed submission through
intake's one path, reads under the staff need-to-know rule, the spec's filters and errors,
tenant isolation, and both formats' shapes."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from services.apikeys import api as apikeys
from services.directory import api as directory
from services.intake import api as intake
from tests.helpers import all_cases, case_model

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
JURISDICTION = "wenling-demo"


def key_for(tenant_id: int, username: str | None, *scopes: str) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username) if username else None
    _key, raw = apikeys.create_key(
        tenant_id, f"对接系统 {username}", list(scopes), user.pk if user else None
    )
    return raw


@pytest.fixture
def partner(demo) -> str:
    """A partner system's key of the demo county, acting as its dispatcher (reads all)."""
    return key_for(demo.pk, "dispatcher", apikeys.CASES_SUBMIT, apikeys.CASES_READ)


def wage_request(**overrides) -> dict:
    data = {
        "jurisdiction_id": JURISDICTION,
        "service_code": "wage_arrears",
        "lat": "28.372",
        "long": "121.3801",
        "address_string": "新河镇 塘下工业区 3 号厂房",
        "description": "工地老板拖欠三个月工资。",
        "first_name": "师傅",
        "last_name": "王",
        "phone": "138 1234 5678",
        "email": "wang@example.com",
        "attribute[employer_name]": "某某建筑公司",
        "attribute[amount_owed]": "36000",
        "attribute[workers_affected]": "4",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, key: str | None, fmt: str = "json", **overrides):
    data = wage_request(**overrides)
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data)


def get(client, path: str, key: str | None = None, **params):
    params.setdefault("jurisdiction_id", JURISDICTION)
    headers = {"HTTP_X_API_KEY": key} if key else {}
    return client.get(f"{BASE}/{path}", params, **headers)


def xml(content: bytes) -> ElementTree.Element:
    """Our own server's answer (S314 is about untrusted XML)."""
    return ElementTree.fromstring(content)  # noqa: S314


def spec_error(response, status: int) -> str:
    """The spec's error document, [{code, description}]; its description."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
    assert all(e["code"] == status for e in body)
    return " ".join(e["description"] for e in body)


# --- submission ---------------------------------------------------------------------------------


def test_a_keyed_post_is_one_case_through_intake_with_location_and_attributes(client, partner):
    response = post(client, partner)

    assert response.status_code == 201, response.content
    [answer] = response.json()
    [case] = all_cases()
    assert answer["service_request_id"] == case.tracking_number
    assert case.tracking_number in answer["service_notice"]
    assert answer["account_id"] is None
    assert case.channel == "api" and case.scenario.code == "wage_arrears"
    assert (case.latitude, case.longitude) == (28.372, 121.3801)
    assert case.place_label == "新河镇 塘下工业区 3 号厂房"
    assert case.reporter_phone == "+8613812345678" and case.reporter_name == "王师傅"
    assert case.extra["employer_name"] == "某某建筑公司" and case.extra["workers_affected"] == 4
    assert case.intake_officer.username == "dispatcher"  # the key's staff member took it in
    # The same event as every channel, waiting for routing's worker.
    assert DBTaskResult.objects.filter(queue_name="routing").exists()


def test_either_location_alone_is_enough_and_none_is_the_specs_400(client, partner):
    assert post(client, partner, address_string=None).status_code == 201
    assert post(client, partner, lat=None, long=None).status_code == 201
    text = spec_error(post(client, partner, lat=None, long=None, address_string=None), 400)
    assert "lat" in text and "address_string" in text
    # Half a pair is refused by intake's one rule (位置需同时包含纬度和经度).
    assert "纬度" in spec_error(post(client, partner, long=None, address_string=None), 400)
    assert len(all_cases()) == 2


def test_invalid_attributes_are_named_and_nothing_is_stored(client, partner):
    text = spec_error(post(client, partner, **{"attribute[workers_affected]": "many"}), 400)
    assert "attribute[workers_affected]" in text
    text = spec_error(post(client, partner, **{"attribute[employer_name]": None}), 400)
    assert "attribute[employer_name]" in text
    text = spec_error(post(client, partner, **{"attribute[description]": "覆盖描述"}), 400)
    assert "description" in text  # not a declared attribute: never passed to the form
    assert "phone" in spec_error(post(client, partner, phone="123"), 400)
    assert all_cases() == []


def test_a_multivaluelist_takes_repeated_values(client, partner, demo):
    from services.intake.models import Scenario, ScenarioField

    with scopes_disabled():
        scenario = Scenario.objects.get(tenant=demo, code="campus")
        ScenarioField.objects.create(
            scenario=scenario,
            name="affected",
            label="涉及对象",
            kind=ScenarioField.Kind.MULTICHOICE,
            choices=["学生", "教师", "家长"],
            order=9,
        )
    definition = get(client, "services/campus.json").json()
    affected = next(a for a in definition["attributes"] if a["code"] == "affected")
    assert affected["datatype"] == "multivaluelist"
    assert [v["key"] for v in affected["values"]] == ["学生", "教师", "家长"]

    data = wage_request(service_code="campus")
    data = {k: v for k, v in data.items() if not k.startswith("attribute[")}
    data.update(
        {
            "api_key": partner,
            "attribute[school]": "新河镇中心小学",
            "attribute[issue_type]": "设施安全",
            "attribute[affected][]": ["学生", "家长"],
        }
    )
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == 201, response.content
    assert all_cases()[0].extra["affected"] == ["学生", "家长"]


# --- keys and tenants -----------------------------------------------------------------------


def test_without_a_key_the_spec_error_in_both_formats(client, demo):
    response = post(client, None)
    assert "api_key" in spec_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")

    response = post(client, None, fmt="xml")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/xml")
    root = xml(response.content)
    assert root.tag == "errors"
    [error] = root.findall("error")
    assert error.findtext("code") == "401" and "api_key" in error.findtext("description")

    assert spec_error(post(client, "gzm_0123456789_" + "x" * 43), 401)
    assert spec_error(get(client, "requests.json"), 401)
    assert all_cases() == []


def test_a_revoked_key_stops_at_once_and_errors_speak_english_when_asked(client, demo):
    key, raw = apikeys.create_key(demo.pk, "旧系统", [apikeys.CASES_SUBMIT], None)
    assert post(client, raw).status_code == 201
    apikeys.revoke(demo.pk, key.pk)
    response = client.post(
        f"{BASE}/requests.json",
        {**wage_request(), "api_key": raw},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "invalid or has been revoked" in spec_error(response, 401)
    assert len(all_cases()) == 1


def test_a_key_of_one_county_cannot_post_to_or_read_another(client, demo, other_tenant, partner):
    theirs = key_for(other_tenant.pk, "yh_dispatcher", apikeys.CASES_SUBMIT, apikeys.CASES_READ)
    assert "wenling-demo" in spec_error(post(client, theirs), 403)
    assert spec_error(get(client, "requests.json", theirs), 403)
    assert all_cases() == []

    ours = post(client, partner).json()[0]["service_request_id"]
    their_case = intake.submit_via_entry_point(
        other_tenant.entry_token,
        {"description": "校门口护栏损坏", "school": "楚门一小", "issue_type": "设施安全"},
    ).tracking_number
    assert spec_error(get(client, f"requests/{ours}.json", theirs), 403)
    # Their own jurisdiction does not reach our case, and ours not theirs.
    assert spec_error(
        get(client, f"requests/{ours}.json", theirs, jurisdiction_id="yuhuan-test"), 404
    )
    assert spec_error(get(client, f"requests/{their_case}.json", partner), 404)
    listed = get(client, "requests.json", partner, service_request_id=f"{ours},{their_case}")
    assert [r["service_request_id"] for r in listed.json()] == [ours]


def test_a_read_only_key_cannot_post_and_a_submit_only_key_cannot_read(client, demo):
    reader = key_for(demo.pk, "dispatcher", apikeys.CASES_READ)
    assert "cases.submit" in spec_error(post(client, reader), 403)
    submitter = key_for(demo.pk, None, apikeys.CASES_SUBMIT)
    response = post(client, submitter)
    assert response.status_code == 201
    assert all_cases()[0].intake_officer is None  # nobody's intake: the partner's own
    assert "cases.read" in spec_error(get(client, "requests.json", submitter), 403)


def test_reads_follow_the_staff_need_to_know_rule(client, demo, partner):
    """A key acting as a reception desk reads the cases it took in, as the desk does."""
    desk = key_for(demo.pk, "xinhe_desk", apikeys.CASES_SUBMIT, apikeys.CASES_READ)
    mine = post(client, desk).json()[0]["service_request_id"]
    others = post(client, partner).json()[0]["service_request_id"]
    listed = [r["service_request_id"] for r in get(client, "requests.json", desk).json()]
    assert listed == [mine]
    assert spec_error(get(client, f"requests/{others}.json", desk), 404)


def test_jurisdiction_is_required_where_there_are_several_and_must_exist(
    client, demo, other_tenant
):
    assert "jurisdiction_id" in spec_error(client.get(f"{BASE}/services.json"), 400)
    assert "nowhere" in spec_error(get(client, "services.json", jurisdiction_id="nowhere"), 404)
    assert "nope" in spec_error(get(client, "services/nope.json"), 404)


# --- reading ----------------------------------------------------------------------------------


def test_a_request_reads_back_without_the_reporter(client, partner):
    number = post(client, partner).json()[0]["service_request_id"]
    spelled = number.replace("-", " ")
    response = get(client, f"requests/{spelled}.json", partner)

    assert response.status_code == 200, response.content
    [request] = response.json()
    assert request["service_request_id"] == number
    assert request["status"] == "open" and request["status_notes"] == "已受理"
    assert request["service_code"] == "wage_arrears" and request["service_name"] == "欠薪求助"
    assert request["address"] == "新河镇 塘下工业区 3 号厂房"
    assert (request["lat"], request["long"]) == (28.372, 121.3801)
    assert request["requested_datetime"].endswith("+08:00")
    body = response.content.decode()
    for private in ("13812345678", "1234", "王师傅", "wang@example.com"):
        assert private not in body


def test_confidential_scenarios_hide_coordinates(client, partner):
    number = post(
        client,
        partner,
        service_code="medical_insurance",
        **{
            "attribute[employer_name]": None,
            "attribute[amount_owed]": None,
            "attribute[workers_affected]": None,
            "attribute[institution]": "某某诊所",
            "attribute[abuse_type]": "挂床住院",
        },
    ).json()[0]["service_request_id"]
    [request] = get(client, f"requests/{number}.json", partner).json()
    assert request["lat"] is None and request["long"] is None


def test_status_follows_the_case_with_its_latest_public_note(client, partner, user_named):
    number = post(client, partner).json()[0]["service_request_id"]
    case_id = all_cases()[0].pk
    labour = user_named("labour")
    [department_id] = directory.staff_info(labour).department_ids
    intake.assign(case_id, department_id, "按规则分拨")
    intake.take_transition(case_id, "sign_for", labour)
    intake.resolve_case(case_id, labour, "已督促企业结清工资。")

    [request] = get(client, f"requests/{number}.json", partner).json()
    assert request["status"] == "open"  # 办结 waits for the citizen's rating
    assert request["status_notes"] == "已办结：已督促企业结清工资。"
    assert request["agency_responsible"] == "市人力社保局"

    from services.intake.workflow import apply_survey_answer

    with scopes_disabled():  # as the notify worker runs it
        apply_survey_answer(case_id, 1, "")
    [request] = get(client, f"requests/{number}.json", partner).json()
    assert request["status"] == "closed" and request["status_notes"].startswith("已结案")
    closed = get(client, "requests.json", partner, status="closed").json()
    assert [r["service_request_id"] for r in closed] == [number]
    assert get(client, "requests.json", partner, status="open").json() == []


def test_list_filters_and_the_default_window(client, partner):
    old = post(client, partner).json()[0]["service_request_id"]
    new = post(client, partner).json()[0]["service_request_id"]
    campus = post(
        client,
        partner,
        service_code="campus",
        **{
            "attribute[employer_name]": None,
            "attribute[amount_owed]": None,
            "attribute[workers_affected]": None,
            "attribute[school]": "新河镇中心小学",
            "attribute[issue_type]": "周边交通",
        },
    ).json()[0]["service_request_id"]
    with scopes_disabled():
        case_model().objects.filter(tracking_number=old).update(
            created_at=timezone.now() - timedelta(days=120)
        )

    def ids(**params):
        response = get(client, "requests.json", partner, **params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [campus, new]  # newest first, the last 90 days
    assert ids(service_code="wage_arrears") == [new]
    assert ids(service_code="wage_arrears,campus", page_size="1") == [campus]
    assert ids(service_code="wage_arrears,campus", page_size="1", page="2") == [new]
    earlier = (timezone.now() - timedelta(days=150)).isoformat()
    later = (timezone.now() - timedelta(days=61)).isoformat()
    assert ids(start_date=earlier, end_date=later) == [old]
    assert ids(service_request_id=f"{old},{campus}") == [campus, old]  # overrides the window


def test_a_list_costs_the_same_queries_for_three_cases_or_twelve(client, partner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get(client, "requests.json", partner).status_code == 200
        return len(captured)

    for _ in range(3):
        post(client, partner)
    few = queries()
    for _ in range(9):
        post(client, partner)
    assert queries() == few


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "pending"}, "status"),
        ({"service_code": "potholes"}, "potholes"),
        ({"start_date": "2026-01-01"}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
        ({"service_request_id": "12345"}, "12345"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "١"}, "page"),
    ],
)
def test_a_filter_that_cannot_match_is_a_400(client, partner, params, named):
    assert named in spec_error(get(client, "requests.json", partner, **params), 400)


@pytest.mark.parametrize(
    "params",
    [
        {"jurisdiction_id": "wenling\x00demo"},
        {"service_code": "campus\x00"},
        {"service_request_id": ",,,"},
        {"service_request_id": "261201\x00-00001"},
        {"status": ","},
        {"page_size": "-1"},
        {"page_size": "1e3"},
        {"page": "١"},  # an Arabic-Indic digit: int() reads it, the parameter does not
        {"start_date": "2026-13-45T00:00:00Z"},
        {"end_date": "2026-01-01T25:00:00+08:00"},
    ],
)
def test_odd_parameters_are_answered_never_a_server_error(client, partner, params):
    response = get(client, "requests.json", partner, **params)
    assert response.status_code in (200, 400, 404), response.content
    assert isinstance(response.json(), list)


def test_the_spec_also_takes_an_address_id_for_a_location(client, partner):
    response = post(client, partner, lat=None, long=None, address_string=None, address_id="XH-42")
    assert response.status_code == 201, response.content
    assert all_cases()[0].place_label == "XH-42"


def test_an_unknown_request_is_the_specs_404(client, partner):
    assert spec_error(get(client, "requests/261201-00000.json", partner), 404)
    assert spec_error(get(client, "requests/nonsense.json", partner), 404)


def test_tokens_are_never_issued(client, demo):
    text = spec_error(get(client, "tokens/abc.json"), 404)
    assert "realtime" in text


# --- documents and formats --------------------------------------------------------------------


def test_services_and_definitions_map_scenarios_and_field_kinds(client, demo):
    services = get(client, "services.json").json()
    codes = [s["service_code"] for s in services]
    assert codes == ["wage_arrears", "medical_insurance", "civil_defence", "campus"]
    wage = services[0]
    assert wage["service_name"] == "欠薪求助" and wage["metadata"] is True
    assert wage["type"] == "realtime"

    definition = get(client, "services/medical_insurance.json").json()
    assert definition["service_code"] == "medical_insurance"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["institution"]["datatype"] == "string"
    assert attributes["institution"]["required"] is True
    assert attributes["abuse_type"]["datatype"] == "singlevaluelist"
    assert {"key": "挂床住院", "name": "挂床住院"} in attributes["abuse_type"]["values"]
    assert attributes["occurred_on"]["datatype"] == "datetime"
    assert "YYYY-MM-DD" in attributes["occurred_on"]["datatype_description"]
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3]
    wage_kinds = {
        a["code"]: a["datatype"]
        for a in get(client, "services/wage_arrears.json").json()["attributes"]
    }
    assert wage_kinds["amount_owed"] == wage_kinds["workers_affected"] == "number"


def test_xml_documents_have_the_specs_shapes(client, partner):
    services = xml(get(client, "services.xml").content)
    assert services.tag == "services"
    assert services.find("service").findtext("service_code") == "wage_arrears"
    assert services.find("service/metadata").text == "true"

    definition = xml(get(client, "services/campus.xml").content)
    assert definition.tag == "service_definition"
    keys = [v.findtext("key") for v in definition.findall("attributes/attribute/values/value")]
    assert "食品安全" in keys

    created = xml(post(client, partner, fmt="xml").content)
    assert created.tag == "service_requests"
    number = created.findtext("request/service_request_id")
    read = get(client, f"requests/{number}.xml", partner)
    assert read["Content-Type"] == "text/xml; charset=utf-8"
    assert read.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    requests = xml(read.content)
    assert requests.findtext("request/status") == "open"
    assert requests.findtext("request/lat") == "28.372"

    discovery = xml(client.get(f"{BASE}/discovery.xml").content)
    assert discovery.findtext("endpoints/endpoint/specification").endswith("GeoReport_v2")
    assert {f.text for f in discovery.findall("endpoints/endpoint/formats/format")} == {
        "text/xml",
        "application/json",
    }


def test_a_platform_of_one_county_needs_no_jurisdiction(client, demo):
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response.json()[0]["service_code"] == "wage_arrears"


def test_text_xml_cannot_carry_is_dropped_not_a_broken_document(client, partner):
    number = post(client, partner, description="护栏\x01损坏\x0b了").json()[0]["service_request_id"]
    read = get(client, f"requests/{number}.xml", partner)
    assert xml(read.content).findtext("request/description") == "护栏损坏了"


def test_discovery_names_the_endpoint(client, db):
    body = client.get(f"{BASE}/discovery.json").json()
    [endpoint] = body["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
