"""schemathesis against the project's own OpenAPI schema, in-process (WSGI, no network).

Every operation gets generated requests, anonymous, as a logged-in dispatcher (session
cookie + CSRF, as a browser client sends them) and as a partner system with an API key
(acting as the dispatcher, every scope), against a real entry point and a real case. Two checks: no 5xx, and every response matches
the schema (status code documented, body conforming). Bounded examples per operation so the
whole file stays around a minute on two cores; raise FUZZ_EXAMPLES locally to dig deeper.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from services.apikeys import api as apikeys
from services.directory import api as directory
from services.intake import api as intake
from tests.builders import entry_token, wage_arrears_form

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
PASSWORD = "fuzz-test-password"
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The fixtures are set up once per operation; every example reuses them, by design.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# The schema as the app serves it (loaded at collection; schemathesis's fixture-based loader
# does not work with pytest 9).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # As Django's test client does: the WSGI app must not close the test's connection (and
    # with it the transaction every test runs in) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(demo) -> dict:
    """A real token (so submissions reach the form, not only the 404) and a staff session."""
    with scopes_disabled():
        dispatcher = directory.create_staff(
            demo, "fuzz_dispatcher", PASSWORD, directory.Role.DISPATCHER
        )
    token = entry_token(demo.pk, "欠薪")
    case = intake.submit_via_entry_point(token, wage_arrears_form())
    _key, raw_key = apikeys.create_key(
        demo.pk, "fuzz partner", sorted(apikeys.ALL_SCOPES), dispatcher.user_id
    )
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="fuzz_dispatcher", password=PASSWORD)
    # A CSRF cookie and the same value in the header: what a browser client sends on a POST.
    csrf = get_random_string(32)
    return {
        "token": token,
        "tracking_number": case.tracking_number,
        "key": raw_key,
        "cookies": {"sessionid": browser.cookies["sessionid"].value, "csrftoken": csrf},
        "csrf": csrf,
    }


def _use_real_token(case, world: dict) -> None:
    # A random token (or tracking number) only ever meets the 404; the real ones let fuzzed
    # bodies reach validation, the version check and the workflow.
    if case.path_parameters and "token" in case.path_parameters:
        case.path_parameters["token"] = world["token"]
    if case.path_parameters and "tracking_number" in case.path_parameters:
        case.path_parameters["tracking_number"] = world["tracking_number"]


@schema.parametrize()
@BOUNDED
def test_api_anonymous(case, world):
    _use_real_token(case, world)
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_api_as_staff(case, world):
    _use_real_token(case, world)
    # schemathesis makes up a bearer token for the key scheme: it would only ever meet the 401
    # (a key beside a session is refused), and this run is the session's.
    (case.headers or {}).pop("Authorization", None)
    case.call_and_validate(
        checks=CHECKS,
        cookies=world["cookies"],
        headers={"X-CSRFToken": world["csrf"]},
    )


@schema.parametrize()
@BOUNDED
def test_api_with_an_api_key(case, world):
    _use_real_token(case, world)
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {world['key']}"})


def test_the_staff_session_is_really_used(world):
    """Guards the fuzzing above: the staff run is not silently anonymous, and its CSRF passes."""
    listing = schema["/api/v1/cases/"]["GET"].Case()
    assert listing.call(cookies=world["cookies"]).status_code == 200
    assert listing.call().status_code == 401
    submit = schema["/api/v1/cases/"]["POST"].Case(
        body={"scenario": "no_such_code", "description": "x"}, media_type="application/json"
    )
    refused = submit.call(cookies=world["cookies"], headers={"X-CSRFToken": world["csrf"]})
    assert refused.status_code == 400 and "scenario" in refused.json()["errors"]


def test_the_api_key_is_really_used(world):
    """Guards the key run above: the key authenticates (not silently anonymous)."""
    listing = schema["/api/v1/cases/"]["GET"].Case()
    assert listing.call(headers={"Authorization": f"Bearer {world['key']}"}).status_code == 200
