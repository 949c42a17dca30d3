"""Bodies the API cannot parse: a clear 400, never a 500, nothing stored — on every path that
reads a JSON body (the edge's rate-limit keys, DRF's parser), public and staff alike."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import entry_token
from tests.helpers import db_snapshot

pytestmark = pytest.mark.django_db

NESTING_LIMIT = 32  # services/json_bodies.MAX_DEPTH; a test must not ask the module it tests


def _post(client, url: str, body: bytes):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def urls(demo) -> dict[str, str]:
    return {
        "public": f"/api/v1/entry-points/{entry_token(demo.pk, '欠薪')}/cases/",
        "staff": "/api/v1/cases/",
    }


@pytest.fixture
def as_desk(demo, client, user_named):
    client.force_login(user_named("xinhe_desk"))
    return client


def _reads_bodies_at_the_edge(settings) -> None:
    """Limits on, so the edge reads the body for the phone key, but never reached: the cache
    (Redis on CI) keeps counts across examples and runs."""
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {
        "intake-api:api-entry-point-submit": {"POST": ["ip:1000000/h", "phone:1000000/h"]}
    }


def _refused_clearly(response) -> str:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json", response.content[:600]
    detail = response.json()["detail"]
    assert "JSON" in detail and "error" not in detail.lower(), detail
    return detail


@pytest.mark.parametrize("opener", ["[", '{"description": '])
@pytest.mark.parametrize("endpoint", ["public", "staff"])
def test_deeply_nested_json_gets_a_400_that_says_so(as_desk, urls, endpoint, opener, settings):
    _reads_bodies_at_the_edge(settings)
    before = db_snapshot()
    for depth in (100_000, NESTING_LIMIT + 1):
        closer = "]" if opener == "[" else "}"
        body = (opener * depth + "1" + closer * depth).encode()
        detail = _refused_clearly(_post(as_desk, urls[endpoint], body))
        assert str(NESTING_LIMIT) in detail
    assert db_snapshot() == before


def test_nesting_within_the_limit_reaches_the_view(as_desk, urls):
    body = {"description": json.loads("[" * (NESTING_LIMIT - 1) + "]" * (NESTING_LIMIT - 1))}
    response = _post(as_desk, urls["public"], json.dumps(body).encode())
    assert response.status_code == 400
    assert "description" in response.json()["errors"], "the view judged the shape, not the parser"


def test_a_syntax_error_says_where(as_desk, urls):
    detail = _refused_clearly(_post(as_desk, urls["public"], b'{"description":\n  "x",, }'))
    assert "2" in detail  # the line of the stray comma


def _unparseable(body: bytes) -> bool:
    if not body:
        return False  # no body: nothing submitted, answered field by field (test_intake_api)
    try:
        json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return True
    return False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
deep = st.builds(
    lambda opener, depth, closed: (
        opener * depth + ("1" + ("]" if opener == "[" else "}") * depth if closed else "")
    ).encode(),
    st.sampled_from(["[", '{"a":', '{"reporter_phone": [']),
    # Up to ~2 MB: under DATA_UPLOAD_MAX_MEMORY_SIZE, so the body is parsed, not refused as big.
    st.integers(min_value=NESTING_LIMIT + 1, max_value=100_000),
    st.booleans(),
)
truncated = st.builds(
    lambda value, cut: json.dumps({"description": value}).encode()[:cut],
    json_values,
    st.integers(min_value=0, max_value=60),
)
broken_text = st.sampled_from(
    [
        b'{"description": "\xff\xfe"}',  # not UTF-8
        b'{"amount_owed": NaN}',
        b'{"amount_owed": Infinity}',
        b'{"amount_owed": ' + b"9" * 5000 + b"}",  # past Python's int-parsing limit
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b"{'description': 'single quotes'}",
    ]
)
unparseable = (deep | truncated | broken_text | st.binary(max_size=200)).filter(_unparseable)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=unparseable, endpoint=st.sampled_from(["public", "staff"]))
def test_any_body_that_is_not_json_gets_a_clear_400(as_desk, urls, settings, body, endpoint):
    _reads_bodies_at_the_edge(settings)
    before = db_snapshot()
    _refused_clearly(_post(as_desk, urls[endpoint], body))
    assert db_snapshot() == before


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_no_body_at_all_makes_the_api_fail(as_desk, urls, settings, body):
    _reads_bodies_at_the_edge(settings)
    for url in urls.values():
        assert _post(as_desk, url, body).status_code < 500


def test_the_reason_is_in_the_clients_language(as_desk, urls):
    body = ("[" * 1000 + "]" * 1000).encode()
    response = as_desk.post(
        urls["public"], body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"The request body is not acceptable JSON: it nests deeper than {NESTING_LIMIT} levels."
    )
