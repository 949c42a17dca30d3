import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.notify.backends import memory_outbox

TWILIO_TEST_TOKEN = "test-twilio-auth-token"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.SMS_BACKEND = "memory"
    settings.TWILIO_AUTH_TOKEN = TWILIO_TEST_TOKEN
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.LANGUAGE_CODE = "zh-hans"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sms_outbox():
    outbox = memory_outbox()
    outbox.sent.clear()
    yield outbox.sent
    outbox.sent.clear()


@pytest.fixture
def demo(db):
    """The demo tenant, loaded by the same command `make run` uses."""
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with scopes_disabled():
        return directory.tenant_by_slug("wenling-demo")


@pytest.fixture
def user_named():
    def get(username: str):
        return get_user_model().objects.get(username=username)

    return get


def run_worker(*queues: str) -> None:
    """Runs the real database worker over `queues` until nothing is ready, then returns."""
    call_command(
        "db_worker",
        "--queue-name",
        ",".join(queues),
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        verbosity=0,
    )


@pytest.fixture
def drain():
    return run_worker
