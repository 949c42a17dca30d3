"""The dashboard as deployed: the Procfile's web server and the dashboard worker as separate
processes with Redis between them, a browser on the screen. A case submitted elsewhere appears
on the open screen through the websocket — well before the page's 30-second catch-up poll
could bring it."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.builders import build_county
from tests.ops_processes import (
    ROOT,
    env_for_test_database,
    free_port,
    redis_url,
    start_procfile_process,
    stop,
    wait_until_serving,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True),
]


def start(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_submission_reaches_the_open_dashboard_across_processes(browser_page):
    county = build_county("county-a", "甲县", "+8610690000001")
    port = free_port()
    # DEBUG lets WhiteNoise serve the static files from the apps (no collectstatic here).
    env = env_for_test_database(REDIS_URL=redis_url(), DEBUG="1", RATELIMIT_ENABLE="0")
    web = start_procfile_process("web", env=env, port=port)
    worker = start(
        "manage.py",
        "db_worker",
        "--queue-name",
        "dashboard",
        "--interval",
        "0.05",
        "--no-reload",
        "--no-startup-delay",
        env=env,
    )
    try:
        wait_until_serving(port, web)
        assert web.poll() is None, web.stderr.read()
        base = f"http://127.0.0.1:{port}"
        page = browser_page
        page.set_viewport_size({"width": 1280, "height": 900})
        # Logged in as the dispatcher (the server's hashers differ from the tests' fast one).
        client = Client()
        client.force_login(county.user("dispatcher"))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
        )
        page.goto(f"{base}/dashboard/")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        assert page.locator("body").get_attribute("data-poll-seconds") == "30"

        created = county.submit(description="水厂增压泵夜间噪声扰民")
        item = page.locator(f'#feed li[data-id="{created}"]')
        expect(item).to_be_visible(timeout=10_000)
        expect(item.locator(".excerpt")).to_have_text("水厂增压泵夜间噪声扰民")
        assert worker.poll() is None, worker.stderr.read()
    finally:
        stop(worker)
        stop(web)
