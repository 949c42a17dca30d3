"""Hostile and unusual input on the public form and the webhook: refused cleanly or stored
intact, never a 500, never half-stored, never rendered as markup."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_scopes import scopes_disabled

from services.intake.models import Case
from tests.builders import entry_token, wage_arrears_form
from tests.helpers import post_signed

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RARE = "𠀀𪚥𰻞 面馆老板欠薪 😡🙏"


def _count() -> int:
    with scopes_disabled():
        return Case.objects.count()


@pytest.fixture
def url(demo) -> str:
    return f"/c/{entry_token(demo.pk, '欠薪')}/"


@pytest.mark.django_db(transaction=True)  # the worker runs: it needs committed rows
def test_markup_in_every_text_field_is_stored_as_text_and_escaped_when_shown(
    client, url, drain, sms_outbox
):
    form = wage_arrears_form(
        description=SCRIPT,
        reporter_name="<b>王</b><script>x</script>",
        employer_name=SCRIPT,
        work_site=SCRIPT,
    )
    response = client.post(url, form)
    assert response.status_code == 302
    with scopes_disabled():
        case = Case.objects.get()
    assert case.description == SCRIPT
    assert case.extra["employer_name"] == SCRIPT

    status_page = client.get(f"/s/{case.access_key}/").content.decode()
    admin = get_user_model().objects.create_superuser("root", "", "pw")
    client.force_login(admin)
    admin_page = client.get(reverse("admin:intake_case_change", args=[case.pk])).content.decode()
    for page in (status_page, admin_page):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert" in admin_page

    drain("notify")
    # SMS is plain text: the receipt must not carry HTML entities either.
    assert all("&lt;" not in m["body"] for m in sms_outbox)


def test_ten_thousand_characters_emoji_and_rare_cjk_are_stored_intact(client, url):
    long_text = (RARE * 1000)[:10_000]
    assert client.post(url, wage_arrears_form(description=long_text)).status_code == 302
    assert client.post(url, wage_arrears_form(description=long_text + "多")).status_code == 400
    with scopes_disabled():
        assert Case.objects.get().description == long_text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"description": "json"}', "application/json"),
        (
            b'--xx\r\nContent-Disposition: form-data; name="descr',
            "multipart/form-data; boundary=xx",
        ),
        (b"garbage", "multipart/form-data"),
        (b"description=%FF%FE%FD&employer_name=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"x" * 3_000_000, "application/x-www-form-urlencoded"),
    ],
    ids=["json", "broken-multipart", "multipart-no-boundary", "invalid-utf8", "oversize"],
)
def test_malformed_bodies_are_refused_without_a_server_error(client, url, body, content_type):
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 400
    assert _count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"x" * 3_000_000, "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
        (b"{}", "application/json"),
    ],
    ids=["oversize", "invalid-utf8", "json"],
)
def test_malformed_webhook_bodies_are_refused(client, demo, body, content_type):
    response = client.generic("POST", "/sms/inbound/", body, content_type=content_type)
    assert response.status_code in (400, 403)


def test_a_signed_reply_with_markup_is_kept_as_text(client, demo):
    response = post_signed(
        client,
        "/sms/inbound/",
        {
            "MessageSid": "SMX1",
            "From": "+8613800000000",
            "To": "+8610690012345",
            "Body": SCRIPT,
        },
    )
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
