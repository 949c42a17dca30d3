"""schemathesis against the project's own OpenAPI schema, in-process (WSGI, no network).

Every operation gets generated requests, anonymous and as a logged-in dispatcher (session
cookie + CSRF, as a browser client sends them). Two checks: no 5xx, and every response matches
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
from services.directory import api as directory
from tests.builders import entry_token

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
        directory.create_staff(demo, "fuzz_dispatcher", PASSWORD, directory.Role.DISPATCHER)
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="fuzz_dispatcher", password=PASSWORD)
    # A CSRF cookie and the same value in the header: what a browser client sends on a POST.
    csrf = get_random_string(32)
    return {
        "token": entry_token(demo.pk, "欠薪"),
        "cookies": {"sessionid": browser.cookies["sessionid"].value, "csrftoken": csrf},
        "csrf": csrf,
    }


def _use_real_token(case, world: dict) -> None:
    # A random token only ever meets the 404; the real one lets fuzzed bodies reach validation.
    if case.path_parameters and "token" in case.path_parameters:
        case.path_parameters["token"] = world["token"]


@schema.parametrize()
@BOUNDED
def test_api_anonymous(case, world):
    _use_real_token(case, world)
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_api_as_staff(case, world):
    _use_real_token(case, world)
    case.call_and_validate(
        checks=CHECKS,
        cookies=world["cookies"],
        headers={"X-CSRFToken": world["csrf"]},
    )


def test_the_staff_session_is_really_used(world):
    """Guards the fuzzing above: the staff run is not silently anonymous, and its CSRF passes."""
    listing = schema["/api/v1/cases/"]["GET"].Case()
    assert listing.call(cookies=world["cookies"]).status_code == 200
    assert listing.call().status_code == 403
    submit = schema["/api/v1/cases/"]["POST"].Case(
        body={"scenario": "no_such_code", "description": "x"}, media_type="application/json"
    )
    refused = submit.call(cookies=world["cookies"], headers={"X-CSRFToken": world["csrf"]})
    assert refused.status_code == 400 and "scenario" in refused.json()
