"""Plays the citizen's phone in the demo: `manage.py sms_reply 13812345678 1` sends "1" as if
that phone had replied to the tenant's number (市民回复短信), through the same inbound path the
SMS provider's webhook uses.

Only with the console or memory SMS backend: with a real provider, replies arrive signed through
its callback, and a command that forges one would be a way around that check.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from services.directory.api import tenant_by_slug
from services.identifiers.phones import normalise_phone

from ...backends import backend_name
from ...inbound import InboundSms, receive_sms

PLAYABLE_BACKENDS = ("console", "memory")

OUTCOMES = {
    "rated": "已记录评价",
    "already_answered": "该回访已评价过，本条未改变结果",
    "unreadable": "未能识别为评价，已回复说明短信",
    "no_survey": "这个号码没有待回复的满意度回访",
    "opted_out": "已退订回访短信",
    "opted_in": "已恢复接收回访短信",
    "duplicate": "重复的短信，已忽略",
    "unknown_recipient": "平台未设置短信发送号码",
}


class Command(BaseCommand):
    help = "演示用：模拟市民手机回复短信（满意度评价、退订），走与短信网关回调相同的处理流程。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("phone", help="the citizen's number as they typed it, e.g. 13812345678")
        parser.add_argument("text", nargs="+", help="the reply, e.g. 1 or 不满意 噪音还在")
        parser.add_argument("--tenant", default="wenling-demo", help="the tenant's code (slug)")

    def handle(self, *args, **options) -> None:
        with scopes_disabled():
            tenant = tenant_by_slug(options["tenant"])
        if tenant is None:
            raise CommandError(f"No tenant with code {options['tenant']!r}")
        provider = backend_name(tenant.id)
        if provider not in PLAYABLE_BACKENDS:
            raise CommandError(
                f"The SMS provider is {provider!r}: replies must come through the "
                "provider's signed callback; this command only plays a phone in the demo"
            )
        try:
            sender = normalise_phone(options["phone"], tenant.phone_region)
        except ValidationError as invalid:
            raise CommandError(f"{options['phone']!r}: {invalid.messages[0]}") from invalid
        outcome = receive_sms(
            InboundSms(
                provider_id=f"console-reply-{uuid.uuid4().hex}",
                sender=sender,
                recipient=tenant.sms_number,
                body=" ".join(options["text"]),
            )
        )
        self.stdout.write(OUTCOMES.get(outcome, outcome))
