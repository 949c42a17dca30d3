"""SMS provider callbacks: citizens' replies and delivery reports.

Twilio's are signed, and the signature is checked with the right tenant's token. Aliyun signs
nothing: its URLs carry the tenant and the tenant's callback secret, compared in constant time.
Thin: authenticate, hand the fields to the service.
"""

import json
import logging
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from services.directory.api import tenant_by_sms_number

from .aliyun import receive_replies, record_reports
from .credentials import auth_token_for, callback_secret_matches
from .inbound import InboundSms, receive_sms
from .outbox import record_delivery_status, tenant_of_message

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _tenant_of_number(number: str) -> int | None:
    tenant = tenant_by_sms_number(number)
    return tenant.id if tenant else None


def twilio_signed(tenant_of):
    """Refuses (403) any request whose X-Twilio-Signature does not match the URL Twilio called,
    signed with the auth token of the tenant the request is about (`tenant_of(request)`).

    The URL is rebuilt from PUBLIC_BASE_URL because behind a proxy the request's own host and
    scheme are not the ones Twilio signed. A forger who picks another tenant's number only
    picks the token the signature must match.
    """

    def decorator(view):
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            token = auth_token_for(tenant_of(request))
            url = f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
            signature = request.headers.get("X-Twilio-Signature", "")
            if not token or not RequestValidator(token).validate(url, request.POST, signature):
                logger.warning("Rejected unsigned or forged Twilio request to %s", request.path)
                return HttpResponseForbidden("invalid signature")
            return view(request, *args, **kwargs)

        return checked

    return decorator


@csrf_exempt
@require_POST
@twilio_signed(lambda request: _tenant_of_number(request.POST.get("To", "")))
def inbound_sms(request: HttpRequest) -> HttpResponse:
    # Replies go out through the outbox (recorded, retried), never as TwiML.
    receive_sms(
        InboundSms(
            provider_id=request.POST.get("MessageSid", ""),
            sender=request.POST.get("From", ""),
            recipient=request.POST.get("To", ""),
            body=request.POST.get("Body", ""),
        )
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _tenant_of_report(request: HttpRequest) -> int | None:
    return tenant_of_message(request.GET.get("ref", "")) or _tenant_of_number(
        request.POST.get("From", "")
    )


@csrf_exempt
@require_POST
@twilio_signed(_tenant_of_report)
def delivery_status(request: HttpRequest) -> HttpResponse:
    record_delivery_status(
        ref=request.GET.get("ref", ""),
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


# What Aliyun's batch push expects back; any other answer makes it push the batch again.
ALIYUN_ACCEPTED = {"code": 0, "msg": "成功"}


def aliyun_push(handle):
    """A view for one of Aliyun's JSON batch pushes, to /sms/aliyun/<tenant>/<secret>/…/."""

    @csrf_exempt
    @require_POST
    @wraps(handle)
    def view(request: HttpRequest, tenant_id: int, secret: str) -> HttpResponse:
        if not callback_secret_matches(tenant_id, secret):
            logger.warning("Rejected Aliyun push with a wrong secret to tenant %s", tenant_id)
            return JsonResponse({"code": 403, "msg": "forbidden"}, status=403)
        try:
            batch = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"code": 400, "msg": "invalid JSON"}, status=400)
        if isinstance(batch, dict):
            batch = [batch]
        if not isinstance(batch, list) or not all(isinstance(item, dict) for item in batch):
            return JsonResponse({"code": 400, "msg": "expected a JSON array"}, status=400)
        handle(tenant_id, batch)
        return JsonResponse(ALIYUN_ACCEPTED, json_dumps_params={"ensure_ascii": False})

    return view


aliyun_report = aliyun_push(record_reports)
aliyun_reply = aliyun_push(receive_replies)
