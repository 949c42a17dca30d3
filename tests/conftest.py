"""Fixtures every test module may ask for by name (settings for tests, the demo tenant, the
SMS outbox, a browser page, a second county, the routing world, a fake Twilio), the markers'
rules, and each xdist worker's database. Test data itself is built in tests/builders.py."""

import subprocess
from io import StringIO

import pytest
import responses
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django_scopes import scopes_disabled

from demo.management.commands.load_demo import DEMO_SLUG
from services.directory import api as directory
from services.directory.models import Tenant
from services.intake import catalog
from services.notify.backends import memory_outbox
from services.routing import config as routing_config
from services.routing.models import DeadlinePolicy
from tests import builders
from tests import fake_aliyun as fake_aliyun_api
from tests.builders import World
from tests.fake_twilio import ACCOUNT_SID, FakeTwilio
from tests.helpers import TWILIO_TEST_TOKEN, run_worker

TEST_SETTINGS = {
    "SMS_BACKEND": "memory",
    "TWILIO_AUTH_TOKEN": TWILIO_TEST_TOKEN,
    "PUBLIC_BASE_URL": "http://testserver",
    # No quiet hours unless a test sets a tenant's own: results must not depend on the clock.
    "SMS_QUIET_HOURS": "",
    "LANGUAGE_CODE": "zh-hans",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Limits count per client across the whole run; tests that exercise them turn them on.
    "RATELIMIT_ENABLE": False,
}


@pytest.fixture(autouse=True)
def _test_settings(settings):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)


def pytest_collection_modifyitems(config, items) -> None:
    """A test that asks for a browser page is a browser test (`make test-fast` skips them)."""
    for item in items:
        if "browser_page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Tripwire: a test that starts a process (the web server, a worker, manage.py,
    pgbouncer, a tool), in its body or in any fixture it sets up, must say so with
    @pytest.mark.processes, or `make test-fast` would run it. Browser tests start chromium
    and are marked already."""
    if item.get_closest_marker("processes") or item.get_closest_marker("browser"):
        return (yield)

    real = subprocess.Popen

    class Refused(real):  # a class still: code may subclass or isinstance-check Popen
        def __init__(self, *args, **kwargs) -> None:
            raise AssertionError(
                f"{item.nodeid} starts a process: mark it @pytest.mark.processes "
                "(or its module: pytestmark = pytest.mark.processes)"
            )

    subprocess.Popen = Refused  # type: ignore[misc]
    try:
        return (yield)
    finally:
        subprocess.Popen = real  # type: ignore[misc]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The suite creates, migrates and bulk-loads its database like the migration Job does:
    without a statement bound (config/database.py). Tests of the bound start servers with
    their own DATABASE_STATEMENT_TIMEOUT."""
    from django.conf import settings

    from config import database

    settings.DATABASE_STATEMENT_TIMEOUT = 0
    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.postgresql":
            database.bounded(db, db["OPTIONS"]["connect_timeout"], statement_timeout=0)


# Each worker's demo as loaded (its rows, per model) and the demo tenant's id.
DEMO_ROWS = pytest.StashKey[list[list]]()
DEMO_TENANT = pytest.StashKey[int]()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """Each worker's database holds the demo tenant from the start, loaded once by the command
    `make run` uses: loading it for each test that asked for it took seconds of the test run
    per test. A test's changes to it are rolled back; after a transactional test's flush the
    `demo` fixture puts it back. The database --reuse-db kept is emptied first, so the demo
    is the one this code loads."""
    with django_db_blocker.unblock(), override_settings(**TEST_SETTINGS), scopes_disabled():
        call_command("flush", interactive=False, verbosity=0)
        # What a flush itself puts back (content types, permissions) is not the demo's.
        models = [m for m in apps.get_models(include_auto_created=True) if _stored(m)]
        refilled = {m for m in models if m._base_manager.exists()}
        call_command("load_demo", stdout=StringIO(), stderr=StringIO())
        request.config.stash[DEMO_ROWS] = [
            rows for m in models if m not in refilled if (rows := list(m._base_manager.all()))
        ]
        request.config.stash[DEMO_TENANT] = directory.tenant_by_slug(DEMO_SLUG).id


def _stored(model) -> bool:
    return model._meta.managed and not model._meta.proxy


def _restore_demo(rows: list[list]) -> None:
    """Puts the demo's rows back as they were loaded, ids included, into the database a flush
    emptied: one insert per model, without the signals (history, configuration versions) their
    first save sent, which the rows already show."""
    # PostgreSQL's sequences are left where they are: a test's flush does not restart them, so
    # they are past the demo's ids already. Setting them back to the demo's largest id would
    # hand later tests ids that earlier tests used, and a per-process cache keyed by a tenant's
    # id (routing's configuration) would then serve one test's rules to another.
    with transaction.atomic(), scopes_disabled():  # foreign keys are checked at the commit
        for instances in rows:
            type(instances[0])._base_manager.bulk_create(instances)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Ids and entry-point tokens of the demo repeat from test to test, so what this process
    and the cache keep of its configuration goes after each: a test's edits, rolled back in
    the database, must not reach the next test through them."""
    try:
        return (yield)
    finally:
        tenant_id = item.config.stash.get(DEMO_TENANT, None)
        if tenant_id is not None:
            catalog.forget_tenant(tenant_id)
            routing_config._cache.pop(tenant_id, None)


@pytest.fixture
def sms_outbox():
    outbox = memory_outbox()
    outbox.sent.clear()
    yield outbox.sent
    outbox.sent.clear()


@pytest.fixture
def demo(db, request):
    """The demo tenant, as loaded for the worker's database (django_db_setup above). A
    transactional test's flush empties the database: the next test that asks for the demo
    puts its rows back (same ids), and tests that do not ask pay nothing for it."""
    with scopes_disabled():
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            _restore_demo(request.config.stash[DEMO_ROWS])
            tenant = Tenant.objects.get(slug=DEMO_SLUG)
    return tenant


@pytest.fixture
def without_demo(db):
    """An empty database, for the tests of loading the demo: the one every database holds
    goes, for this test only (rolled back, or put back after a transactional test)."""
    with scopes_disabled():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def user_named():
    def get(username: str):
        return get_user_model().objects.get(username=username)

    return get


@pytest.fixture
def drain():
    return run_worker


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page(live_server):
    """A page in Debian's headless chromium, driven by Playwright (no downloaded browser)."""
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required here (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs its own event loop; Django must allow ORM calls around it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale="zh-CN", base_url=live_server.url
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
        # Inside Playwright's loop Django keeps separate connections; give them back now,
        # or a later test finds one the database has meanwhile dropped.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def private_media(settings, tmp_path):
    """Photos go to a fresh directory per test, so tests can count the files written (the
    photo-handling modules use it for every test: pytest.mark.usefixtures)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    return tmp_path / "private"


@pytest.fixture
def world(demo) -> World:
    """The demo tenant without its deadline policies: each test states the ones it uses."""
    with scopes_disabled():
        from services.directory.models import Department, Region

        DeadlinePolicy.objects.filter(tenant=demo).delete()
        departments = {d.code: d for d in Department.objects.filter(tenant=demo)}
        regions = {r.name: r for r in Region.objects.filter(tenant=demo)}
    return World(tenant=demo, departments=departments, regions=regions)


@pytest.fixture
def fake_twilio(settings):
    """SMS_BACKEND=twilio, with Twilio's HTTP API faked: no request leaves the machine."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TEST_TOKEN
    fake = FakeTwilio()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake


@pytest.fixture
def other_tenant(db):
    """A second county with its own scenarios, one code, a desk officer and a dispatcher."""
    return builders.other_tenant()


@pytest.fixture
def fake_aliyun(settings):
    """SMS_BACKEND=aliyun, with Aliyun's HTTP API faked: no request leaves the machine."""
    settings.SMS_BACKEND = "aliyun"
    settings.ALIYUN_ACCESS_KEY_ID = fake_aliyun_api.ACCESS_KEY_ID
    settings.ALIYUN_ACCESS_KEY_SECRET = fake_aliyun_api.ACCESS_KEY_SECRET
    settings.ALIYUN_SMS_ENDPOINT = fake_aliyun_api.ENDPOINT
    fake = fake_aliyun_api.FakeAliyun()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake
