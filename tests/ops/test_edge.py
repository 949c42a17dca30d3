"""Edge protection: rate limits, security headers, and outages of Redis and the database."""

import pytest
from django.core.cache import cache
from django_scopes import scopes_disabled

from config import redis_connections
from services.intake.models import Case
from tests.builders import entry_token, wage_arrears_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {"frontend:entry": {"POST": ["ip:4/h", "phone:2/h"]}}
    cache.clear()


def _count() -> int:
    with scopes_disabled():
        return Case.objects.count()


def test_submissions_are_limited_per_phone_and_per_client(client, demo, limits):
    url = f"/c/{entry_token(demo.pk, '欠薪')}/"
    same_phone = wage_arrears_form(reporter_phone="13812345678")
    assert client.post(url, same_phone).status_code == 302
    # However the number is typed, it is the same phone.
    assert client.post(url, {**same_phone, "reporter_phone": "138-1234-5678"}).status_code == 302
    refused = client.post(url, same_phone)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "操作过于频繁" in refused.content.decode()

    assert client.post(url, wage_arrears_form(reporter_phone="13900001111")).status_code == 302
    assert client.post(url, wage_arrears_form(reporter_phone="13700002222")).status_code == 429
    assert _count() == 3, "refused submissions store nothing"
    # Refused attempts count against the client too: a bot gains nothing by retrying.


DEAD_REDIS = "redis://127.0.0.1:6390/0"  # nothing listens here


@pytest.mark.django_db(transaction=True)  # the dashboard worker runs: it needs committed rows
def test_redis_down_submissions_and_admin_work_and_the_dashboard_degrades(
    client, demo, limits, settings, drain, user_named
):
    # The production configuration, pointed at a Redis that is not there.
    settings.CACHES = {"default": redis_connections.cache(DEAD_REDIS)}
    settings.CHANNEL_LAYERS = {"default": redis_connections.channel_layer(DEAD_REDIS)}
    response = client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    assert response.status_code == 302, "rate limits fail open"
    assert _count() == 1
    drain("routing", "dashboard")  # the live push fails; the screen falls back to polling

    client.force_login(user_named("dispatcher"))
    assert client.get("/admin/intake/case/").status_code == 200
    assert client.get("/dashboard/").status_code == 200
    live = client.get("/dashboard/live.json")
    assert live.status_code == 200
    with scopes_disabled():
        assert Case.objects.get().tracking_number in live.content.decode()


def test_pages_carry_security_headers(client, demo):
    response = client.get(f"/c/{entry_token(demo.pk, '欠薪')}/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
