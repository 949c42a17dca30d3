"""The demo plays the citizen's phone: `manage.py sms_reply` goes through the inbound SMS path,
so a newcomer closes the loop (满意度回访) without a signed provider webhook."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from services.notify.models import InboundMessage, NotifySettings
from tests.builders import resolved_case
from tests.helpers import case_now

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reply_typed_at_the_console_answers_the_survey_and_closes_the_case(
    demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain, phone="138 1234 5678")
    out = StringIO()

    call_command("sms_reply", "138-1234-5678", "1", stdout=out)
    drain("intake")

    assert "已记录评价" in out.getvalue()
    assert case_now(case).state == "closed"
    with scopes_disabled():
        stored = InboundMessage.objects.get()
    assert (stored.sender, stored.outcome) == ("+8613812345678", "rated")


def test_with_a_real_provider_the_command_refuses_to_forge_a_reply(demo, settings):
    settings.SMS_BACKEND = "twilio"
    with pytest.raises(CommandError, match="signed callback"):
        call_command("sms_reply", "13812345678", "1")
    with scopes_disabled():
        assert not InboundMessage.objects.exists()


def test_nor_when_the_tenant_itself_uses_a_real_provider(demo):
    with scopes_disabled():
        NotifySettings.objects.update_or_create(tenant=demo, defaults={"sms_backend": "aliyun"})
    with pytest.raises(CommandError, match="signed callback"):
        call_command("sms_reply", "13812345678", "1")
    with scopes_disabled():
        assert not InboundMessage.objects.exists()
