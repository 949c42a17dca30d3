"""Twilio webhooks: citizens' replies and delivery status. Every request must be signed."""

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled
from twilio.request_validator import RequestValidator

from .models import Message
from .services import InboundSms, receive_sms

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signed(view):
    """Refuses (403) any request whose X-Twilio-Signature does not match the URL Twilio called.

    The URL is rebuilt from PUBLIC_BASE_URL because behind a proxy the request's own host and
    scheme are not the ones Twilio signed.
    """

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = settings.TWILIO_AUTH_TOKEN
        url = f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not RequestValidator(token).validate(url, request.POST, signature):
            logger.warning("Rejected unsigned or forged Twilio request to %s", url)
            return HttpResponseForbidden("invalid signature")
        return view(request, *args, **kwargs)

    return checked


@csrf_exempt
@require_POST
@twilio_signed
def inbound_sms(request: HttpRequest) -> HttpResponse:
    outcome = receive_sms(
        InboundSms(
            provider_id=request.POST.get("MessageSid", ""),
            sender=request.POST.get("From", ""),
            recipient=request.POST.get("To", ""),
            body=request.POST.get("Body", ""),
        )
    )
    logger.info("Inbound SMS %s: %s", request.POST.get("MessageSid"), outcome)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
@twilio_signed
def delivery_status(request: HttpRequest) -> HttpResponse:
    status = request.POST.get("MessageStatus", "")
    if status in {Message.State.DELIVERED, Message.State.FAILED, Message.State.UNDELIVERED}:
        with scopes_disabled():
            Message.objects.filter(provider_id=request.POST.get("MessageSid", "")).update(
                state=status
            )
    return HttpResponse(status=204)
