"""What `make run` prints lets a newcomer play every role, and posters printed for a laptop's
address say so before they reach a wall."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_load_demo_prints_every_login_it_creates_and_how_to_reply_by_sms(settings, without_demo):
    settings.SMS_BACKEND = "console"
    out = StringIO()

    call_command("load_demo", stdout=out)

    printed = out.getvalue()
    logins = list(get_user_model().objects.values_list("username", flat=True))
    assert len(logins) >= 7, logins
    missing = [login for login in logins if f"  {login} " not in printed]
    assert missing == [], printed
    assert "manage.py sms_reply" in printed


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://localhost:8000", True),
        ("http://127.0.0.1:8000", True),
        ("https://gzm.wenling.example.cn", False),
    ],
)
def test_print_posters_warns_when_codes_would_point_at_this_machine(
    demo, settings, tmp_path, base_url, warned
):
    settings.PUBLIC_BASE_URL = base_url
    err = StringIO()

    call_command(
        "print_posters",
        "--tenant",
        demo.slug,
        "-o",
        str(tmp_path / "p.pdf"),
        stdout=StringIO(),
        stderr=err,
    )

    assert (tmp_path / "p.pdf").exists()
    assert ("PUBLIC_BASE_URL" in err.getvalue()) is warned, err.getvalue()
