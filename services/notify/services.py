"""Sending SMS through the outbox, running satisfaction surveys and reading replies."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from services import eventbus
from services.directory.api import get_tenant, tenant_by_sms_number
from services.intake import api as intake

from . import templates_sms
from .backends import PermanentSmsError, TransientSmsError, get_backend
from .models import InboundMessage, Message, Survey
from .replies import is_satisfied, parse_rating

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8


def queue_message(
    *, tenant_id: int, to: str, body: str, purpose: str, key: str, case_id: int | None = None
) -> Message:
    """Stores the SMS and enqueues its delivery in the caller's transaction; one per `key`."""
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "tenant_id": tenant_id,
                "to": to,
                "body": body,
                "purpose": purpose,
                "case_id": case_id,
            },
        )
        if created:
            deliver_message.enqueue(message.pk)
    return message


def _claim(message_id: int) -> Message | None:
    """Marks the message as being sent, so no other worker (or redelivery) sends it again."""
    with scopes_disabled(), transaction.atomic():
        claimed = Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
            state=Message.State.SENDING, attempts=F("attempts") + 1
        )
        return Message.objects.select_related("tenant").get(pk=message_id) if claimed else None


@task(queue_name="notify")
def deliver_message(message_id: int) -> None:
    """Sends one queued message. A worker that dies mid-send leaves it `sending`, never resent
    blindly: a duplicate SMS to a citizen is worse than one an operator has to check."""
    message = _claim(message_id)
    if message is None:
        return
    with scopes_disabled():
        try:
            provider_id = get_backend().send(
                to=message.to,
                body=message.body,
                sender=message.tenant.sms_number or settings.TWILIO_FROM_NUMBER,
                status_callback=f"{settings.PUBLIC_BASE_URL}/sms/status/",
            )
        except TransientSmsError as exc:
            _retry_later(message, str(exc))
            return
        except PermanentSmsError as exc:
            logger.error("SMS %s to case %s failed for good: %s", message.pk, message.case_id, exc)
            Message.objects.filter(pk=message.pk).update(
                state=Message.State.FAILED, last_error=str(exc)
            )
            return
        Message.objects.filter(pk=message.pk).update(
            state=Message.State.SENT,
            provider_id=provider_id,
            sent_at=timezone.now(),
            last_error="",
        )


def _retry_later(message: Message, error: str) -> None:
    if message.attempts >= MAX_SEND_ATTEMPTS:
        logger.error("SMS %s gave up after %d attempts: %s", message.pk, message.attempts, error)
        Message.objects.filter(pk=message.pk).update(state=Message.State.FAILED, last_error=error)
        return
    logger.warning("SMS %s attempt %d failed, will retry: %s", message.pk, message.attempts, error)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(state=Message.State.QUEUED, last_error=error)
        deliver_message.using(
            run_after=timezone.now() + eventbus.retry_delay(message.attempts)
        ).enqueue(message.pk)


def _render(template: str, tenant_id: int, **values: str) -> str:
    return template.format(tenant=get_tenant(tenant_id).name, **values)


def send_receipt(case_id: int) -> None:
    """受理回执 with the tracking number and the private status link."""
    case = intake.get_case(case_id)
    if not case.reporter_phone:
        return
    body = _render(
        templates_sms.RECEIPT,
        case.tenant_id,
        tracking_number=case.tracking_number,
        status_url=f"{settings.PUBLIC_BASE_URL}/s/{case.access_key}/",
    )
    queue_message(
        tenant_id=case.tenant_id,
        to=case.reporter_phone,
        body=body,
        purpose="receipt",
        key=f"receipt:{case_id}",
        case_id=case_id,
    )


def start_survey(case_id: int) -> Survey | None:
    """满意度回访 on 办结: the result and the survey, once per resolution round."""
    case = intake.get_case(case_id)
    if not case.reporter_phone:
        return None  # anonymous: nobody to ask
    with transaction.atomic():
        survey, created = Survey.objects.get_or_create(
            case_id=case_id,
            round=case.reopen_count,
            defaults={
                "tenant_id": case.tenant_id,
                "phone": case.reporter_phone,
                "tracking_number": case.tracking_number,
            },
        )
        if created:
            body = _render(
                templates_sms.SURVEY,
                case.tenant_id,
                tracking_number=case.tracking_number,
                result=case.result,
                survey_url=f"{settings.PUBLIC_BASE_URL}/v/{survey.token}/",
            )
            queue_message(
                tenant_id=case.tenant_id,
                to=case.reporter_phone,
                body=body,
                purpose="survey",
                key=f"survey:{case_id}:{survey.round}",
                case_id=case_id,
            )
    return survey


def answer_survey(survey: Survey, rating: int, comment: str = "") -> None:
    """Records the citizen's rating and tells intake, which closes or reopens the case."""
    satisfied = is_satisfied(rating)
    with transaction.atomic():
        updated = Survey.objects.filter(pk=survey.pk, state=Survey.State.OPEN).update(
            state=Survey.State.ANSWERED,
            rating=rating,
            comment=comment,
            answered_at=timezone.now(),
        )
        if not updated:
            return
        eventbus.publish(
            "survey.answered",
            {
                "tenant_id": survey.tenant_id,
                "case_id": survey.case_id,
                "survey_id": survey.pk,
                "rating": rating,
                "comment": comment,
                "satisfied": satisfied,
            },
        )
        template = templates_sms.THANKS if satisfied else templates_sms.REOPENED
        queue_message(
            tenant_id=survey.tenant_id,
            to=survey.phone,
            purpose="thanks",
            body=_render(template, survey.tenant_id, tracking_number=survey.tracking_number),
            key=f"thanks:{survey.pk}",
            case_id=survey.case_id,
        )


@dataclass(frozen=True)
class InboundSms:
    provider_id: str
    sender: str
    recipient: str
    body: str


def receive_sms(sms: InboundSms) -> str:
    """A citizen's reply: the rating for their most recent open survey. Returns the outcome.

    Idempotent on the provider's message id, so a webhook retried by Twilio changes nothing.
    """
    tenant = tenant_by_sms_number(sms.recipient)
    if tenant is None:
        logger.warning("Inbound SMS %s to unknown number %s", sms.provider_id, sms.recipient)
        return "unknown_recipient"
    with scopes_disabled(), transaction.atomic():
        survey = (
            Survey.objects.filter(tenant=tenant, phone=sms.sender, state=Survey.State.OPEN)
            .order_by("-created_at", "-pk")
            .first()
        )
        rating = parse_rating(sms.body)
        outcome = "rated" if survey and rating else ("no_survey" if not survey else "unreadable")
        try:
            with transaction.atomic():
                InboundMessage.objects.create(
                    tenant=tenant,
                    provider_id=sms.provider_id,
                    sender=sms.sender,
                    body=sms.body,
                    survey=survey,
                    outcome=outcome,
                )
        except IntegrityError:
            return "duplicate"
        if outcome == "rated":
            answer_survey(survey, rating)
        elif outcome == "unreadable":
            queue_message(
                tenant_id=tenant.pk,
                to=sms.sender,
                purpose="help",
                body=_render(templates_sms.HELP, tenant.pk),
                key=f"help:{survey.pk}",
                case_id=survey.case_id,
            )
    return outcome


def survey_by_token(token: str) -> Survey | None:
    with scopes_disabled():
        return Survey.objects.filter(token=token).first()
