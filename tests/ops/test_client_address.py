"""The client's address behind the ingress: exactly the configured number of proxies is
trusted, so a client that writes its own X-Forwarded-For changes nothing — not its rate
limits, not its login lockout, not what the access log says."""

import logging

import pytest
import yaml
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from config.client_address import client_address
from tests.builders import build_county, entry_token, wage_arrears_form
from tests.helpers import PASSWORD, ROOT

INGRESS = "10.42.0.7"  # the ingress pod: every request reaches the app from it


def _request(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # Nothing trusted: the peer is the client, whatever it claims.
        (0, "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        # One ingress: it appended the address it saw; what the client wrote is left of it.
        (1, INGRESS, "198.51.100.4", "198.51.100.4"),
        (1, INGRESS, "203.0.113.9, 1.2.3.4, 198.51.100.4", "198.51.100.4"),
        (1, INGRESS, " 203.0.113.9 ,198.51.100.4 ", "198.51.100.4"),
        # A CDN in front of the ingress: two proxies, the client is second from the right.
        (2, INGRESS, "6.6.6.6, 198.51.100.4, 192.0.2.10", "198.51.100.4"),
        # Fewer entries than proxies (a hop was skipped): the farthest one a proxy wrote.
        (2, INGRESS, "198.51.100.4", "198.51.100.4"),
        # Configured for a proxy, reached without one: the peer.
        (1, "198.51.100.4", None, "198.51.100.4"),
        (1, "198.51.100.4", "", "198.51.100.4"),
        # Not an address where the proxy writes one: the peer, never the text.
        (1, INGRESS, "203.0.113.9, <script>", INGRESS),
        (1, INGRESS, "unknown", INGRESS),
        # One spelling per address: IPv6 compressed, IPv4-mapped IPv6 as IPv4.
        (1, INGRESS, "2001:DB8:0:0::1", "2001:db8::1"),
        (0, "::ffff:198.51.100.4", None, "198.51.100.4"),
    ],
)
def test_the_client_is_the_entry_the_last_trusted_proxy_wrote(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(_request(remote, forwarded)) == expected


def _behind_ingress(real: str, spoofed: str = "") -> Client:
    """A client as the app sees it behind the ingress: the ingress appends `real`."""
    forwarded = f"{spoofed}, {real}" if spoofed else real
    return Client(REMOTE_ADDR=INGRESS, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.mark.django_db
def test_rotating_a_forged_forwarded_for_does_not_escape_the_rate_limit(
    demo, behind_one_proxy, settings
):
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {"frontend:entry": {"POST": ["ip:3/h"]}}
    cache.clear()
    url = f"/c/{entry_token(demo.pk, '欠薪')}/"
    statuses = [
        _behind_ingress("198.51.100.4", spoofed=f"10.9.8.{n}")
        .post(url, wage_arrears_form(reporter_phone=f"1380000000{n}"))
        .status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    # Another citizen behind the same ingress has a limit of their own.
    other = _behind_ingress("198.51.100.5").post(url, wage_arrears_form())
    assert other.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_login_lockout_follows_the_real_client_not_the_ingress_or_forged_headers(
    behind_one_proxy, settings
):
    county = build_county("county-a", "甲县", "+8610690000001")
    username = county.username("labour")
    login = reverse("admin:login")
    attacker = "198.51.100.66"
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = _behind_ingress(attacker, spoofed=f"10.1.1.{n}").post(
            login, {"username": username, "password": "guess", "next": "/admin/"}
        )
    assert response.status_code == 429, "five failures from one client lock it out"
    # The colleague at another address, behind the same ingress, still logs in.
    colleague = _behind_ingress("198.51.100.8").post(
        login, {"username": username, "password": PASSWORD, "next": "/admin/"}
    )
    assert colleague.status_code == 302


@pytest.mark.django_db
def test_the_access_log_names_the_real_client(demo, behind_one_proxy, caplog):
    with caplog.at_level(logging.INFO, logger="ops.access"):
        _behind_ingress("198.51.100.4", spoofed="6.6.6.6").get("/")
    (record,) = [r for r in caplog.records if r.name == "ops.access"]
    assert record.client == "198.51.100.4"


def test_the_cluster_trusts_exactly_its_ingress_and_the_server_rewrites_no_address():
    config = yaml.safe_load((ROOT / "k8s/base/configmap.yaml").read_text())["data"]
    assert config["TRUSTED_PROXY_COUNT"] == "1"
    assert "TRUST_X_FORWARDED_FOR" not in config
    # A server that takes the client from X-Forwarded-For itself (daphne --proxy-headers,
    # uvicorn/gunicorn forwarded-allow-ips='*') takes its left end: REMOTE_ADDR must stay
    # the peer, the ingress, for config/client_address.py to count from.
    web = yaml.safe_load((ROOT / "k8s/base/web.yaml").read_text().split("\n---")[0])
    (container,) = web["spec"]["template"]["spec"]["containers"]
    command = " ".join(container.get("command", []) + container.get("args", []))
    procfile = (ROOT / "Procfile").read_text()
    image_default = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    )
    for text in (command, procfile, image_default):
        assert "--proxy-headers" not in text
        assert "forwarded-allow-ips" not in text.replace("_", "-")
