"""Identifiers citizens type — phone numbers and tracking numbers — are normalised once, and
limits, lookups and storage all use that one value: however a number is spelt (full-width or
other Unicode digits, spaces, dashes, +86 / 0086 / 86), it is one number to every limit."""

import phonenumbers
import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.edge import RateLimitMiddleware
from services.identifiers.phones import normalise_phone
from services.identifiers.tracking_numbers import normalise_tracking_number
from tests.builders import entry_token, wage_arrears_form
from tests.helpers import all_cases

pytestmark = pytest.mark.django_db

# One decimal digit, as a phone keyboard, a Chinese input method or another script types it.
DIGIT_FORMS = (
    lambda d: d,
    lambda d: chr(0xFF10 + int(d)),  # full-width １
    lambda d: chr(0x0660 + int(d)),  # Arabic-Indic ١
    lambda d: chr(0x0966 + int(d)),  # Devanagari १
    lambda d: chr(0x1D7CE + int(d)),  # mathematical bold 𝟏 (pasted from a styled page)
)
SEPARATORS = ("", " ", "-", "　", "－", "—", "–", ".", "  ")
PHONE_PREFIXES = ("", "+86", "+86 ", "0086", "0086 ", "86", "86-", "＋８６", "(+86)", "+86 (0)")
SURROUNDING = ("", " ", "　", "\t")

relaxed = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _digits(number: str):
    return st.tuples(*(st.sampled_from(DIGIT_FORMS) for _ in number)).map(
        lambda forms: "".join(form(d) for form, d in zip(forms, number, strict=True))
    )


@st.composite
def phone_spellings(draw, national: str) -> str:
    """A spelling of a Chinese mobile number (national form, 11 digits) the lookup accepts."""
    groups = [national[:3], national[3:7], national[7:]]
    parts = [draw(_digits(g)) for g in groups]
    first, second = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(SEPARATORS))
    edge = draw(st.sampled_from(SURROUNDING))
    prefix = draw(st.sampled_from(PHONE_PREFIXES))
    return f"{edge}{prefix}{parts[0]}{first}{parts[1]}{second}{parts[2]}{edge}"


@st.composite
def tracking_spellings(draw, number: str) -> str:
    """A spelling of a tracking number (YYMMDD-NNNNN): with or without the dash, spaced."""
    day, serial = number.split("-")
    separator = draw(st.sampled_from((*SEPARATORS, "_", " - ")))
    edge = draw(st.sampled_from(SURROUNDING))
    return f"{edge}{draw(_digits(day))}{separator}{draw(_digits(serial))}{edge}"


mobile_numbers = st.builds(
    lambda head, rest: f"1{head}{rest:09d}",
    st.sampled_from("3589"),
    st.integers(0, 999_999_999),
).filter(lambda n: phonenumbers.is_valid_number(phonenumbers.parse(n, "CN")))


def _limit_answers(path: str, field: str, spellings: list[str]) -> list[int]:
    """What the edge's rate limit answers to each POST in turn (200: let through)."""
    middleware = RateLimitMiddleware(lambda request: HttpResponse())
    answers = []
    for spelling in spellings:
        request = RequestFactory().post(path, {field: spelling})
        request.resolver_match = match = resolve(path)
        refused = middleware.process_view(request, match.func, match.args, match.kwargs)
        answers.append(refused.status_code if refused else 200)
    return answers


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {
        "frontend:entry": {"POST": ["phone:3/h"]},
        "intake-api:api-entry-point-submit": {"POST": ["phone:3/h"]},
        "frontend:status-lookup": {"POST": ["tracking:3/h"]},
    }
    cache.clear()
    yield
    cache.clear()


# --- phones -------------------------------------------------------------------------------


@relaxed
@given(data=st.data(), national=mobile_numbers)
def test_every_spelling_of_a_phone_is_one_number_to_the_lookup_and_to_the_limits(
    demo, limits, data, national
):
    spellings = data.draw(st.lists(phone_spellings(national), min_size=4, max_size=4))
    for spelling in spellings:
        assert normalise_phone(spelling, "CN") == f"+86{national}", spelling
    token = entry_token(demo.pk, "欠薪")
    for path in (f"/c/{token}/", f"/api/v1/entry-points/{token}/cases/"):
        cache.clear()
        assert _limit_answers(path, "reporter_phone", spellings) == [200, 200, 200, 429]


@pytest.mark.django_db(transaction=True)  # the notify worker closes the connection it used
def test_ten_spellings_of_one_phone_get_ten_receipts_and_the_eleventh_is_refused(
    client, demo, settings, drain, sms_outbox
):
    """The incident: one phone got 14 receipt SMS where 10 an hour is the limit."""
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    url = f"/c/{entry_token(demo.pk, '欠薪')}/"
    spellings = [
        "13812345678",
        "１３８１２３４５６７８",
        "1381234567８",
        "+86 138 1234 5678",
        "＋８６ １３８－１２３４－５６７８",
        "0086 138 1234 5678",
        "8613812345678",
        "١٣٨١٢٣٤٥٦٧٨",
        "138 1234 5678 ",
        "(+86)138.1234.5678",
        "१३८१२३४५६७८",
    ]
    answers = [client.post(url, wage_arrears_form(reporter_phone=s)).status_code for s in spellings]
    cache.clear()
    assert answers == [302] * 10 + [429]
    assert {c.reporter_phone for c in all_cases()} == {"+8613812345678"}, "stored normalised"
    drain("routing", "notify")
    receipts = [m for m in sms_outbox if "已受理" in m["body"]]
    assert len(receipts) == 10 and {m["to"] for m in receipts} == {"+8613812345678"}


def test_the_desk_and_the_admin_find_a_caller_however_the_number_is_typed(client, demo, user_named):
    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    [case] = all_cases()
    typed_forms = ("１３８ １２３４ ５６７８", "+86-138-1234-5678", "0086١٣٨١٢٣٤٥٦٧٨")
    client.force_login(user_named("dispatcher"))
    for typed in typed_forms:
        page = client.get("/admin/intake/case/", {"q": typed}).content.decode()
        assert case.tracking_number in page, typed
    # A desk finds a case it did not take in when the caller proves it theirs (need-to-know).
    client.force_login(user_named("xinhe_desk"))
    spoken = case.tracking_number.replace("-", " ")
    for typed in typed_forms:
        page = client.post(
            "/desk/lookup/", {"phone": typed, "tracking_number": spoken}
        ).content.decode()
        assert case.tracking_number in page, typed


# --- tracking numbers ---------------------------------------------------------------------


def _submitted(client, demo):
    """The one case of the test (hypothesis runs a test's examples in one database)."""
    if not all_cases():
        response = client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
        assert response.status_code == 302
    [case] = all_cases()
    return case


@relaxed
@given(data=st.data(), day=st.dates(), serial=st.integers(0, 99_999))
def test_every_spelling_of_a_tracking_number_is_one_number_to_the_lookup_and_the_limit(
    limits, data, day, serial
):
    number = f"{day:%y%m%d}-{serial:05d}"
    spellings = data.draw(st.lists(tracking_spellings(number), min_size=4, max_size=4))
    for spelling in spellings:
        assert normalise_tracking_number(spelling) == number, spelling
    cache.clear()
    assert _limit_answers("/status/", "tracking_number", spellings) == [200, 200, 200, 429]


@relaxed
@given(data=st.data())
def test_the_status_page_finds_a_case_by_any_spelling_of_its_number(client, demo, data):
    case = _submitted(client, demo)
    typed = data.draw(tracking_spellings(case.tracking_number))
    last_four = data.draw(_digits("5678"))
    response = client.post("/status/", {"tracking_number": typed, "last_four": last_four})
    assert response.status_code == 302, (typed, last_four)
    assert response["Location"] == f"/s/{case.access_key}/"


@pytest.mark.parametrize("typed", ["{day}{serial}", "{day} {serial}"])
def test_status_accepts_the_number_as_sms_replies_do(client, demo, typed):
    """Issue 17.9: /status/ rejected 26120152038 and 261201 52038."""
    case = _submitted(client, demo)
    day, serial = case.tracking_number.split("-")
    response = client.post(
        "/status/",
        {"tracking_number": typed.format(day=day, serial=serial), "last_four": "5678"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/s/{case.access_key}/"


def test_not_a_tracking_number_is_nothing_to_limit_or_find():
    # Also what has no date in front: a mobile number typed whole is not a tracking number.
    not_numbers = ("", "12345", "261201-520381", "2612015203", "abc", "261201-5203x", "1" * 40)
    for typed in (*not_numbers, "13812345678", "261301-12345", "260230-12345"):
        assert normalise_tracking_number(typed) == "", typed


def test_the_api_and_the_admin_find_a_case_by_any_spelling_of_its_number(client, demo, user_named):
    case = _submitted(client, demo)
    day, serial = case.tracking_number.split("-")
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in day + serial)
    client.force_login(user_named("dispatcher"))
    for typed in (f"{day}{serial}", f"{day} {serial}", fullwidth):
        api = client.get(f"/api/v1/cases/{typed}/")
        assert api.status_code == 200, typed
        assert api.json()["tracking_number"] == case.tracking_number
        page = client.get("/admin/intake/case/", {"q": typed}).content.decode()
        assert f"/admin/intake/case/{case.pk}/change/" in page, typed


def test_issued_numbers_are_in_the_parsers_form(client, demo):
    case = _submitted(client, demo)
    assert normalise_tracking_number(case.tracking_number) == case.tracking_number
    with scopes_disabled():
        assert case.tracking_number == all_cases()[0].tracking_number


# --- SMS replies and what staff type in notify's admin --------------------------------------


@pytest.mark.django_db(transaction=True)  # the notify worker closes the connection it used
@pytest.mark.parametrize("sender", ["13812345678", "008613812345678"])
def test_a_reply_from_the_national_form_of_the_number_answers_the_survey(
    client, demo, drain, user_named, sender
):
    """Chinese SMS providers report the sender without +86; it is the same citizen."""
    from tests.builders import resolved_case
    from tests.helpers import reply, survey_of

    case = resolved_case(demo, user_named, drain)
    assert reply(client, "1", sender=sender).status_code == 200
    survey = survey_of(case)
    assert (survey.state, survey.rating) == ("answered", 1)


def test_an_opt_out_staff_type_in_is_stored_as_lookups_read_it(client, demo, user_named):
    from services.notify.models import OptOut
    from services.notify.optout import is_opted_out

    client.force_login(user_named("admin"))
    response = client.post(
        "/admin/notify/optout/add/",
        {"tenant": demo.pk, "phone": "１３８ １２３４－５６７８", "source": "电话"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        assert OptOut.objects.get().phone == "+8613812345678"
    assert is_opted_out(demo.pk, "+8613812345678")
    page = client.get("/admin/notify/optout/", {"q": "+86 138 1234 5678"}).content.decode()
    assert "138****5678" in page
    refused = client.post("/admin/notify/optout/add/", {"tenant": demo.pk, "phone": "12345"})
    assert refused.status_code == 200 and "请输入有效的手机号码" in refused.content.decode()


def test_the_survey_admin_finds_a_survey_by_any_spelling_of_its_number(client, demo, user_named):
    from services.notify.models import Survey

    day, serial = "261124", "03817"
    with scopes_disabled():
        survey = Survey.objects.create(
            tenant=demo, case_id=1, tracking_number=f"{day}-{serial}", phone="+8613812345678"
        )
    client.force_login(user_named("admin"))
    for typed in (f"{day}-{serial}", f"{day}{serial}", f"{day} {serial}", f"{day}－{serial}"):
        page = client.get("/admin/notify/survey/", {"q": typed}).content.decode()
        assert f"/admin/notify/survey/{survey.pk}/change/" in page, typed


# --- receipts to numbers abroad: a tenant setting ------------------------------------------

ABROAD = "+1 202 555 0123"


@pytest.mark.django_db(transaction=True)  # the notify worker closes the connection it used
def test_a_number_abroad_gets_no_sms_by_default_and_the_citizen_is_told(
    client, demo, drain, sms_outbox
):
    from services.notify.models import Message

    response = client.post(
        f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form(reporter_phone=ABROAD)
    )
    assert response.status_code == 302, "the case is accepted all the same"
    [case] = all_cases()
    assert case.reporter_phone == "+12025550123"
    receipt = client.get(response["Location"]).content.decode()
    assert "本平台不向境外号码发送短信" in receipt
    assert f"/s/{case.access_key}/" in receipt, "the private link is the way back"
    assert "办理结果将以短信告知" not in receipt
    drain("routing", "notify")
    assert sms_outbox == []
    with scopes_disabled():
        assert set(Message.objects.values_list("state", flat=True)) == {"abroad"}


@pytest.mark.django_db(transaction=True)
def test_a_tenant_that_allows_sms_abroad_sends_the_receipt(client, demo, drain, sms_outbox):
    with scopes_disabled():
        demo.sms_to_foreign_numbers = True
        demo.save(update_fields=["sms_to_foreign_numbers"])
    response = client.post(
        f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form(reporter_phone=ABROAD)
    )
    assert "本平台不向境外号码发送短信" not in client.get(response["Location"]).content.decode()
    drain("routing", "notify")
    assert [m["to"] for m in sms_outbox if "已受理" in m["body"]] == ["+12025550123"]


def test_domestic_numbers_are_unaffected_and_hong_kong_is_abroad(demo):
    from services.directory.api import sms_reaches

    assert sms_reaches(demo.pk, "+8613812345678")
    assert not sms_reaches(demo.pk, "+85261234567")


def test_the_tenant_administrator_sets_it_in_the_admin(client, demo, user_named):
    client.force_login(user_named("admin"))
    page = client.get(f"/admin/directory/tenant/{demo.pk}/change/").content.decode()
    assert 'name="sms_to_foreign_numbers"' in page and "向境外号码发送短信" in page


def test_the_desk_slip_tells_a_caller_with_a_number_abroad_that_no_sms_will_come(
    client, demo, user_named
):
    client.force_login(user_named("xinhe_desk"))
    response = client.post("/desk/new/wage_arrears/", wage_arrears_form(reporter_phone=ABROAD))
    assert response.status_code == 302, response.content.decode()
    assert "本平台不向境外号码发送短信" in client.get(response["Location"]).content.decode()
    domestic = client.post("/desk/new/wage_arrears/", wage_arrears_form())
    assert "本平台不向境外号码发送短信" not in client.get(domestic["Location"]).content.decode()
