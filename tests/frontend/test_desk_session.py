"""A reception PC is shared (镇街受理窗口): the desk can log out, and a desk session ends after
the idle time its tenant sets."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled

from services.directory.models import Tenant

pytestmark = pytest.mark.django_db

PASSWORD = "gongzhi-demo"


def _log_in(client) -> None:
    response = client.post(
        "/admin/login/?next=/desk/",
        {"username": "xinhe_desk", "password": PASSWORD, "next": "/desk/"},
    )
    assert response.status_code == 302, response.content.decode()


def test_the_desk_page_offers_a_logout_that_ends_the_session(client, demo):
    _log_in(client)
    page = client.get("/desk/").content.decode()
    assert 'action="/desk/logout/"' in page
    assert "退出登录" in page

    response = client.post("/desk/logout/")

    assert response.status_code == 302
    again = client.get("/desk/")
    assert again.status_code == 302
    assert again["Location"].startswith("/admin/login/")


def test_a_desk_session_ends_after_the_tenants_idle_time(client, demo):
    with scopes_disabled():
        Tenant.objects.filter(pk=demo.pk).update(desk_idle_minutes=10)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _log_in(client)
        assert client.get("/desk/").status_code == 200
        clock.move_to(start + timedelta(minutes=9))
        assert client.get("/desk/lookup/").status_code == 200, "active use keeps it open"
        clock.move_to(start + timedelta(minutes=18))
        assert client.get("/desk/").status_code == 200, "9 idle minutes since the last request"

        clock.move_to(start + timedelta(minutes=29))
        response = client.get("/desk/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
