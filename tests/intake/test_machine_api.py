"""The machine API with API keys: staff transitions through the same path as the admin, the
optimistic version (stale → 409), 401 vs 403, tenants apart (404), validated filters (400),
and one error format (RFC 9457 problem details) for all of it."""

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from services.apikeys import api as apikeys
from tests.builders import build_county
from tests.helpers import case, case_model

pytestmark = pytest.mark.django_db(transaction=True)  # the routing worker runs

ALL = (apikeys.CASES_READ, apikeys.CASES_TRANSITION, apikeys.CASES_SUBMIT)
PROBLEM = "application/problem+json"
STALE = "urn:gongzhima:problem:stale-version"
NOT_NOW = "urn:gongzhima:problem:transition-not-allowed"


@pytest.fixture
def county():
    return build_county("keyville", "钥匙县", "+8657600000001")


class Partner:
    """A partner system holding one key."""

    def __init__(self, county, role: str, scopes=ALL) -> None:
        self.key, self.raw = apikeys.create_key(
            county.tenant.pk, f"{role} system", list(scopes), county.user(role).pk
        )
        self.http = Client()

    def get(self, path: str, **params):
        return self.http.get(f"/api/v1/{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.raw}")

    def post(self, path: str, body: dict):
        return self.http.post(
            f"/api/v1/{path}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.raw}",
        )

    def version(self, number: str) -> str:
        return self.get(f"cases/{number}/").json()["version"]


def _problem(response, status: int, type_: str = "about:blank") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["type"]) == (status, type_), body
    assert body["title"] and body["detail"]
    return body


def test_a_department_signs_for_and_resolves_and_the_command_room_closes(county):
    number = county.routed().tracking_number
    labour = Partner(county, "labour")

    signed = labour.post(f"cases/{number}/sign-for/", {"version": labour.version(number)})
    assert signed.status_code == 200, signed.content
    assert signed.json()["state"] == "in_progress"
    resolved = labour.post(
        f"cases/{number}/resolve/",
        {"version": signed.json()["version"], "result": "已督促企业发放工资。"},
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["state"] == "resolved"

    dispatcher = Partner(county, "dispatcher")
    closed = dispatcher.post(
        f"cases/{number}/close/",
        {"version": dispatcher.version(number), "explanation": "多次电话无法联系到市民。"},
    )
    assert closed.status_code == 200, closed.content
    stored = case(closed.json() and case_id_of(number))
    assert (stored.state, stored.result) == ("closed", "已督促企业发放工资。")
    with scopes_disabled():
        rows = list(stored.timeline.order_by("pk").values_list("action", "actor__username"))
    assert rows[-3:] == [
        ("sign_for", "keyville-labour"),
        ("resolve", "keyville-labour"),
        ("close_by_dispatcher", "keyville-dispatcher"),
    ]


def case_id_of(number: str) -> int:
    pass

    with scopes_disabled():
        return case_model().objects.get(tracking_number=number).pk


def test_a_stale_version_is_a_409_problem_and_changes_nothing(county):
    number = county.routed().tracking_number
    labour = Partner(county, "labour")
    seen = labour.version(number)
    assert labour.post(f"cases/{number}/sign-for/", {"version": seen}).status_code == 200

    # Another client still holds the copy from before 签收 and returns the case.
    late = labour.post(f"cases/{number}/return/", {"version": seen, "reason": "不归我们管"})
    problem = _problem(late, 409, STALE)
    assert number in problem["detail"]
    assert case(case_id_of(number)).state == "in_progress"

    made_up = labour.post(f"cases/{number}/return/", {"version": "v1", "reason": "x"})
    _problem(made_up, 409, STALE)


def test_a_transition_the_state_does_not_allow_is_a_409_of_its_own_type(county):
    number = county.routed().tracking_number
    labour = Partner(county, "labour")
    early = labour.post(
        f"cases/{number}/resolve/", {"version": labour.version(number), "result": "已处理"}
    )
    _problem(early, 409, NOT_NOW)
    assert case(case_id_of(number)).state == "assigned"


def test_401_without_a_valid_key_403_when_the_key_may_not(county):
    number = county.routed().tracking_number
    labour = Partner(county, "labour")
    version = labour.version(number)

    anonymous = Client().post(
        f"/api/v1/cases/{number}/sign-for/", {"version": version}, content_type="application/json"
    )
    _problem(anonymous, 401)
    assert anonymous["WWW-Authenticate"].startswith("Bearer")

    read_only = Partner(county, "labour", scopes=[apikeys.CASES_READ])
    _problem(read_only.post(f"cases/{number}/sign-for/", {"version": version}), 403)
    # The dispatcher reads every case but 签收 is the lead department's (the policy says so).
    dispatcher = Partner(county, "dispatcher")
    refused = dispatcher.post(f"cases/{number}/sign-for/", {"version": version})
    assert "无权" in _problem(refused, 403)["detail"]
    # The co-handling department (协办) reads the case, and may not take it.
    medical = Partner(county, "medical")
    assert medical.get(f"cases/{number}/").status_code == 200
    _problem(medical.post(f"cases/{number}/sign-for/", {"version": version}), 403)

    apikeys.revoke(county.tenant.pk, labour.key.pk)
    _problem(labour.post(f"cases/{number}/sign-for/", {"version": version}), 401)
    assert case(case_id_of(number)).state == "assigned"


def test_a_key_never_reaches_another_tenants_case(county):
    other = build_county("lockton", "锁城县", "+8657600000002")
    number = county.routed().tracking_number
    version = Partner(county, "labour").version(number)
    intruder = Partner(other, "labour")
    for path, body in (
        (f"cases/{number}/sign-for/", {"version": version}),
        (f"cases/{number}/notes/", {"note": "看看"}),
    ):
        _problem(intruder.post(path, body), 404)
    _problem(intruder.get(f"cases/{number}/"), 404)
    assert intruder.get("cases/").json()["results"] == []
    assert case(case_id_of(number)).state == "assigned"


def test_notes_are_internal_timeline_lines(county):
    number = county.routed().tracking_number
    labour = Partner(county, "labour")
    before = labour.version(number)
    added = labour.post(f"cases/{number}/notes/", {"note": "已电话联系企业负责人"})
    assert added.status_code == 201, added.content
    with scopes_disabled():
        last = case(case_id_of(number)).timeline.order_by("pk").last()
    assert (last.action, last.note, last.public) == ("note", "已电话联系企业负责人", False)
    assert labour.version(number) == before, "a note moves no state: a held version stays good"


def test_invalid_bodies_are_400_problems_with_field_errors(county):
    number = county.routed().tracking_number
    labour = Partner(county, "labour")
    missing = _problem(labour.post(f"cases/{number}/sign-for/", {}), 400, INVALID)
    assert "version" in missing["errors"]
    no_result = labour.post(f"cases/{number}/resolve/", {"version": labour.version(number)})
    assert "result" in _problem(no_result, 400, INVALID)["errors"]


INVALID = "urn:gongzhima:problem:invalid-request"


def test_filters_are_validated_unknown_values_are_400_not_an_empty_list(county):
    assigned = county.routed().tracking_number
    county.submit("campus", description="校门口积水", school="一小", issue_type="设施安全")
    dispatcher = Partner(county, "dispatcher")

    def numbers(**params):
        response = dispatcher.get("cases/", **params)
        assert response.status_code == 200, response.content
        return [c["tracking_number"] for c in response.json()["results"]]

    assert numbers(state="assigned") == [assigned]
    assert len(numbers(state=["assigned", "needs_dispatch", "submitted"])) == 2
    assert numbers(scenario="wage_arrears") == [assigned]
    assert numbers(state="closed") == []  # a real state with nothing in it: an empty list

    for params, field in (
        ({"state": "open"}, "state"),
        ({"state": ["assigned", "done"]}, "state"),
        ({"scenario": "no_such_scenario"}, "scenario"),
        ({"channel": "fax"}, "channel"),
        ({"updated_after": "yesterday"}, "updated_after"),
        ({"department": "labour"}, "department"),  # not a filter at all
    ):
        problem = _problem(dispatcher.get("cases/", **params), 400, INVALID)
        assert field in problem["errors"], (params, problem)


def test_simultaneous_transitions_with_one_version_one_wins_the_other_is_409(county):
    import threading

    number = county.routed().tracking_number
    partners = [Partner(county, "labour"), Partner(county, "labour-head")]
    version = partners[0].version(number)
    barrier = threading.Barrier(len(partners))
    answers: list = []

    def go(partner: Partner) -> None:
        from django.db import connection

        barrier.wait()
        try:
            answers.append(partner.post(f"cases/{number}/sign-for/", {"version": version}))
        finally:
            connection.close()  # the thread's own connection, or the test database stays busy

    threads = [threading.Thread(target=go, args=(p,)) for p in partners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.content for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["type"] in (STALE, NOT_NOW)
    with scopes_disabled():
        assert case(case_id_of(number)).timeline.filter(action="sign_for").count() == 1


def test_unknown_api_addresses_and_crashes_answer_problems_too(client):
    from django.test import RequestFactory

    from config.edge import server_error

    unknown = client.get("/api/v1/no-such-thing/")
    assert _problem(unknown, 404)["detail"] == "没有这个接口地址。"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    crashed = server_error(RequestFactory().get("/api/v1/cases/"))
    assert crashed.status_code == 500 and crashed["Content-Type"] == PROBLEM
