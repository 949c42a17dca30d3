"""Abuse: limits on the public API, status lookup and survey (per client, per phone, per
tracking number), no enumeration through status lookup, and the QR form's honeypot."""

import re

import pytest
from django.core.cache import cache

from services.intake import api as intake
from services.intake.honeypot import FIELD as HONEYPOT
from tests.builders import entry_token, wage_arrears_form
from tests.helpers import all_cases

pytestmark = pytest.mark.django_db

TOO_MANY = "操作过于频繁"


@pytest.fixture
def limits(settings):
    """Small limits, as in production's settings.RATE_LIMITS but reached in a few requests."""
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {
        "intake-api:api-entry-point-submit": {"POST": ["ip:4/h", "phone:2/h"]},
        "frontend:status-lookup": {"POST": ["ip:4/h", "tracking:2/h"]},
        "frontend:survey": {"POST": ["ip:2/h"]},
    }
    cache.clear()
    yield
    cache.clear()


def _api_json(client, token: str, **overrides):
    data = {k: v for k, v in wage_arrears_form(**overrides).items() if v is not None}
    return client.post(f"/api/v1/entry-points/{token}/cases/", data, "application/json")


def _assert_refused_as_json(response) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/problem+json"
    assert TOO_MANY in response.json()["detail"]


def test_public_api_is_limited_per_phone_in_json_and_multipart(client, demo, limits):
    token = entry_token(demo.pk, "欠薪")
    assert _api_json(client, token, reporter_phone="13812345678").status_code == 201
    # Multipart counts against the same number, however it is typed.
    multipart = client.post(
        f"/api/v1/entry-points/{token}/cases/",
        wage_arrears_form(reporter_phone="+86 138-1234-5678"),
    )
    assert multipart.status_code == 201, multipart.content
    _assert_refused_as_json(_api_json(client, token, reporter_phone="138 1234 5678"))
    assert len(all_cases()) == 2, "the refused submission stored nothing"


def test_public_api_is_limited_per_client(client, demo, limits):
    token = entry_token(demo.pk, "欠薪")
    phones = ["13800000001", "13800000002", "13800000003", "13800000004"]
    # Four requests count against the client: three cases and one refused by its phone limit
    # would also count; here all four differ, so all four are stored.
    assert [_api_json(client, token, reporter_phone=p).status_code for p in phones] == [201] * 4
    _assert_refused_as_json(_api_json(client, token, reporter_phone="13800000005"))
    assert len(all_cases()) == 4
    # Another client is not affected.
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert _api_json(other, token, reporter_phone="13800000006").status_code == 201


def _submit(client, token: str) -> str:
    response = client.post(f"/c/{token}/", wage_arrears_form(reporter_phone="13812345678"))
    assert response.status_code == 302
    [case] = all_cases()
    return case.tracking_number


def _lookup(client, tracking_number: str, last_four: str):
    return client.post("/status/", {"tracking_number": tracking_number, "last_four": last_four})


def _comparable(response, tracking_number: str) -> str:
    """The page without what legitimately differs: CSRF tokens and the number typed back."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    return html.replace(tracking_number, "NUMBER")


def test_a_wrong_number_and_wrong_digits_get_the_same_answer(client, demo, limits):
    real = _submit(client, entry_token(demo.pk, "欠薪"))
    unknown = real[:-1] + str((int(real[-1]) + 1) % 10)
    wrong_number = _lookup(client, unknown, "5678")
    wrong_digits = _lookup(client, real, "0000")
    assert wrong_number.status_code == wrong_digits.status_code == 404
    assert _comparable(wrong_number, unknown) == _comparable(wrong_digits, real)
    assert set(wrong_number.headers) == set(wrong_digits.headers)


def test_many_tracking_numbers_from_one_client_get_429(client, demo, limits):
    real = _submit(client, entry_token(demo.pk, "欠薪"))
    guesses = [f"{real[:-3]}{n:03d}" for n in range(900, 906)]
    statuses = [_lookup(client, guess, "5678").status_code for guess in guesses]
    assert statuses == [404] * 4 + [429] * 2
    refused = _lookup(client, real, "5678")  # even the right pair, once the client is over
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert TOO_MANY in refused.content.decode()


def test_one_tracking_number_is_limited_across_clients(client, demo, limits):
    """Guessing the last four digits of one number from many addresses gets nowhere."""
    real = _submit(client, entry_token(demo.pk, "欠薪"))
    answers = [
        _lookup(client.__class__(REMOTE_ADDR=f"10.0.1.{n}"), real, f"{n:04d}").status_code
        for n in range(3)
    ]
    assert answers == [404, 404, 429]
    assert _lookup(client.__class__(REMOTE_ADDR="10.0.1.9"), real, "5678").status_code == 429


@pytest.mark.django_db(transaction=True)  # the notify worker closes the connection it used
def test_survey_answers_are_limited_and_a_refused_one_changes_nothing(
    client, demo, drain, user_named, limits
):
    from tests.builders import resolved_case
    from tests.helpers import survey_of

    case = resolved_case(demo, user_named, drain)
    url = f"/v/{survey_of(case).token}/"
    assert [client.post(url, {"comment": "x"}).status_code for _ in range(2)] == [400, 400]
    refused = client.post(url, {"rating": "5"})
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert TOO_MANY in refused.content.decode()
    assert survey_of(case).state == "open", "the refused answer was not recorded"


def test_the_form_carries_a_honeypot_hidden_by_the_site_css(client, demo, settings):
    html = client.get(f"/c/{entry_token(demo.pk, '欠薪')}/").content.decode()
    assert re.search(rf'<div class="hp" aria-hidden="true">.*name="{HONEYPOT}"', html)
    assert 'tabindex="-1"' in html and "style=" not in html
    css = (settings.BASE_DIR / "frontend/static/frontend/site.css").read_text()
    assert re.search(r"^\.hp\{position:absolute;left:-10000px", css, re.M)


def test_a_filled_honeypot_stores_nothing_but_reads_as_a_success(client, demo, sms_outbox):
    token = entry_token(demo.pk, "欠薪")
    response = client.post(f"/c/{token}/", {**wage_arrears_form(), HONEYPOT: "http://spam"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "提交成功" in html and "error" not in html
    assert all_cases() == [] and sms_outbox == []
    assert intake.entry_point_counts(token)[1] == 0


def test_an_empty_honeypot_is_a_person_and_their_case_is_stored(client, demo):
    token = entry_token(demo.pk, "欠薪")
    response = client.post(f"/c/{token}/", {**wage_arrears_form(), HONEYPOT: ""})
    assert response.status_code == 302 and response["Location"].startswith("/r/")
    assert len(all_cases()) == 1


def test_the_api_has_no_honeypot_and_refuses_the_field_like_any_unknown_one(client, demo):
    response = _api_json(client, entry_token(demo.pk, "欠薪"), **{HONEYPOT: ""})
    assert response.status_code == 400
    assert HONEYPOT in " ".join(response.json()["errors"]["non_field_errors"])
    assert all_cases() == []


def test_production_limits_name_real_endpoints():
    """The limits above are only as good as the names in settings: a renamed URL would
    silently drop its limit."""
    from django.conf import settings
    from django.urls import get_resolver

    names = set()
    resolver = get_resolver()
    for namespace, (_prefix, sub) in resolver.namespace_dict.items():
        names |= {f"{namespace}:{name}" for name in sub.reverse_dict if isinstance(name, str)}
    limits = settings.RATE_LIMITS
    assert set(limits) <= names
    assert limits["intake-api:api-entry-point-submit"]["POST"] == ["ip:30/h", "phone:10/h"]
    assert "tracking" in " ".join(limits["frontend:status-lookup"]["POST"])
    assert limits["frontend:survey"]["POST"]
