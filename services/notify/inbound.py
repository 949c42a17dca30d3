"""A citizen's SMS to the tenant's number: 退订/订阅, or an answer to an open survey.

The tenant is the one whose sending number the reply went to (Twilio's `To`), or the one whose
authenticated callback URL it came through (Aliyun). Matched by the sender's number. With
several open surveys the reply answers the most recent, unless it names a tracking number.
Idempotent on the provider's message id: a webhook Twilio retries changes nothing.
"""

import logging
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from services.directory.api import TenantInfo, get_tenant, tenant_by_sms_number
from services.identifiers.phones import normalised_or_empty
from services.privacy import mask_phone, phone_hash

from .kinds import Kind
from .models import InboundMessage, Survey
from .optout import opt_in, opt_out
from .outbox import send_sms
from .replies import find_tracking_number, is_opt_in, is_opt_out, parse_reply
from .surveys import answer_survey, survey_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundSms:
    provider_id: str
    sender: str
    recipient: str
    body: str
    tenant_id: int | None = None  # known from the callback URL; else found by `recipient`


def receive_sms(sms: InboundSms) -> str:
    """Handles one inbound SMS once; returns the outcome (also stored with the message)."""
    tenant = (
        get_tenant(sms.tenant_id)
        if sms.tenant_id is not None
        else tenant_by_sms_number(sms.recipient)
    )
    if tenant is None:
        logger.warning("Inbound SMS %s to a number no tenant uses", sms.provider_id)
        return "unknown_recipient"
    # Providers in China send the national form (13812345678), Twilio E.164: one number either
    # way, as stored with the survey and the opt-out. A short code stays as it came.
    sms = replace(sms, sender=normalised_or_empty(sms.sender, tenant.phone_region) or sms.sender)
    with scopes_disabled(), transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMessage.objects.create(
                    tenant_id=tenant.id,
                    provider_id=sms.provider_id,
                    sender=sms.sender,
                    body=sms.body,
                    outcome="received",
                )
        except IntegrityError:
            logger.info("Inbound SMS %s replayed: ignored", sms.provider_id)
            return "duplicate"
        outcome, survey = _handle(tenant, sms)
        inbound.outcome = outcome
        inbound.survey = survey
        inbound.save(update_fields=["outcome", "survey"])
    logger.info(
        "Inbound SMS %s from %s (tenant %s, survey %s): %s",
        sms.provider_id,
        mask_phone(sms.sender),
        tenant.id,
        survey.pk if survey else None,
        outcome,
    )
    return outcome


def _handle(tenant: TenantInfo, sms: InboundSms) -> tuple[str, Survey | None]:
    if is_opt_out(sms.body):
        if opt_out(tenant.id, sms.sender, source=sms.provider_id):
            send_sms(
                tenant_id=tenant.id,
                kind=Kind.OPTED_OUT,
                to=sms.sender,
                key=f"opted_out:{sms.provider_id}",
                hotline=tenant.hotline,
            )
        return "opted_out", None
    if is_opt_in(sms.body):
        opt_in(tenant.id, sms.sender)
        return "opted_in", None
    open_surveys = list(
        Survey.objects.filter(
            tenant_id=tenant.id, phone_hash=phone_hash(sms.sender), state=Survey.State.OPEN
        ).order_by("-created_at", "-pk")
    )
    if not open_surveys:
        return "no_survey", None  # nothing to answer: no reply either, so no SMS ping-pong
    named, rest = find_tracking_number(sms.body, [s.tracking_number for s in open_surveys])
    survey = next((s for s in open_surveys if s.tracking_number == named), open_surveys[0])
    reply = parse_reply(rest)
    if reply is None:
        # One help SMS per survey, whatever else arrives: an auto-responder cannot loop us.
        send_sms(
            tenant_id=tenant.id,
            kind=Kind.HELP,
            to=sms.sender,
            key=f"help:{survey.pk}",
            case_id=survey.case_id,
            tracking_number=survey.tracking_number,
            survey_url=survey_url(survey),
        )
        return "unreadable", survey
    if not answer_survey(survey.pk, reply.rating, reply.comment, via=Survey.Channel.SMS):
        return "already_answered", survey
    return "rated", survey
