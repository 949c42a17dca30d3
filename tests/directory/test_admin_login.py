"""Admin logins: guessing passwords gets a username locked out for a while (django-axes);
sessions end after a working day idle and with the browser."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.builders import build_county
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = reverse("admin:login")


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def login(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(client, county):
    username = county.username("labour")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, username, "guess")
        assert response.status_code == 200  # the form again, with its error
        assert (
            "请输入一个正确的" in response.content.decode() or "正确" in response.content.decode()
        )
    locked = login(client, username, "guess")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已暂时锁定" in page and "15 分钟" in page
    assert "共治码 · 管理后台" in page and "Django" not in page, "the platform's own name"
    assert "<title>登录已暂时锁定 | 共治码</title>" in page

    refused = login(client, username, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session

    # Another account from the same address is not punished for it.
    assert login(client, county.username("dispatcher"), PASSWORD).status_code == 302

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=True):
        assert login(client, username, PASSWORD).status_code == 302


def test_a_correct_login_resets_the_count(client, county):
    username = county.username("labour")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, username, "guess")
    assert login(client, username, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, username, "guess")
    assert login(client, username, PASSWORD).status_code == 302


def test_an_idle_session_ends_and_the_cookie_dies_with_the_browser(client, county):
    assert login(client, county.username("labour"), PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    hours = settings.SESSION_COOKIE_AGE / 3600
    assert 1 <= hours <= 12

    with time_machine.travel(timezone.now() + dt.timedelta(hours=hours - 1), tick=True):
        assert client.get("/admin/").status_code == 200  # activity keeps it alive …
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2 * hours), tick=True):
        response = client.get("/admin/")  # … idleness ends it
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
