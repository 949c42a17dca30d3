"""两步验证: a tenant requires a TOTP code of some roles (policy.requires_two_factor); those
staff log in with password and code, and without an authenticator are sent to enrol."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from services.directory import policy
from services.directory.models import Tenant
from tests.builders import build_county
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = reverse("admin:login")
ENROL = reverse("two-factor-enrol")


@pytest.fixture
def county(db):
    county = build_county("county-a", "甲县", "+8610690000001")
    Tenant.objects.filter(pk=county.tenant.pk).update(two_factor_roles=["dispatcher"])
    return county


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login(client, username: str, token: str = ""):
    return client.post(
        LOGIN, {"username": username, "password": PASSWORD, "otp_token": token, "next": "/admin/"}
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_policy_reads_the_tenants_list(county):
    dispatcher = county.user("dispatcher").staff
    assert policy.requires_two_factor(dispatcher, ["dispatcher"])
    assert not policy.requires_two_factor(dispatcher, [])


def test_a_role_that_requires_it_is_refused_without_a_valid_code(client, county):
    user = county.user("dispatcher")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    refused = login(client, user.username)
    assert refused.status_code == 200 and not logged_in(client)
    assert "请输入身份验证器上显示的 6 位动态码" in refused.content.decode()

    wrong = f"{(int(code_for(device)) + 1) % 10**6:06d}"
    assert "动态验证码不正确" in login(client, user.username, wrong).content.decode()
    assert not logged_in(client)

    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp slows repeated failures; start afresh
    device.save()
    accepted = login(client, user.username, code_for(device))
    assert accepted.status_code == 302 and logged_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_role_without_the_requirement_logs_in_with_the_password(client, county):
    assert login(client, county.username("labour")).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_without_an_authenticator_the_password_leads_only_to_enrolment(client, county):
    user = county.user("dispatcher")
    assert login(client, user.username).status_code == 302
    for page in ("/admin/", "/dashboard/", reverse("admin:intake_case_changelist")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == ENROL, page

    enrol_page = client.get(ENROL).content.decode()
    assert "<svg" in enrol_page and "绑定身份验证器" in enrol_page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = parse_qs(urlsplit(device.config_url).query)["secret"][0]
    assert re.fullmatch(r"[A-Z2-7]+", secret)

    assert "动态验证码不正确" in client.post(ENROL, {"otp_token": "000000"}).content.decode() or (
        code_for(device) == "000000"
    )
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    confirmed = client.post(ENROL, {"otp_token": code_for(device)})
    assert confirmed.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_the_login_and_its_refusal_read_in_english_for_an_english_browser(client, county):
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    assert "Authenticator code" in client.get(LOGIN, **english).content.decode()
    user = county.user("dispatcher")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    refused = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "next": "/admin/"}, **english
    )
    assert "Your role needs two-factor login" in refused.content.decode()


@pytest.mark.asyncio
async def test_the_dashboard_websocket_needs_the_verified_session_too(county):
    from asgiref.sync import sync_to_async

    from tests.helpers import connect, session_cookie

    await sync_to_async(Tenant.objects.filter(pk=county.tenant.pk).update)(
        two_factor_roles=["dispatcher"]
    )
    # A password-only session (no authenticator yet): pages send it to enrol; so does the socket.
    communicator, connected = await connect(
        county.tenant.pk, await session_cookie(county, "dispatcher")
    )
    assert not connected
    await communicator.disconnect()
