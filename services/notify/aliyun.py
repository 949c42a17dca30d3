"""Alibaba Cloud SMS (阿里云短信) through its official SDK: approved templates with parameters,
QuerySendDetails to settle an unknown outcome, and the JSON batches it pushes back (SmsReport
delivery receipts, SmsUp replies 上行短信).

Aliyun sends only a pre-approved signature (SignName) + template (TemplateCode) with variables:
each kind of SMS maps to the tenant's approved template (报备短信模板, ProviderTemplate), and the
variables are the kind's placeholders (kinds.PLACEHOLDERS) with two changes:

- links are not variables Aliyun accepts whole: the template writes the fixed part of the link
  (https://<PUBLIC_BASE_URL host>/s/ or /v/) and the variable `status_key` / `survey_key` is the
  unguessable key at its end; `template_variables` shortens `status_url` / `survey_url` so;
- the rating menu is written into the template text itself (it never changes), so
  `rating_menu` / `rating_range` are not variables; nor is `tenant` (the SignName says it).

Each variable is capped at PARAM_MAX characters (Aliyun's limit for a variable of type 其他);
longer free text (a result) is cut with "…" and the status page keeps the whole of it.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from .backends import OutgoingSms, PermanentSmsError, ProviderRecord, TransientSmsError
from .credentials import aliyun_credentials_for
from .inbound import InboundSms, receive_sms
from .kinds import PLACEHOLDERS, RATING_SCALE
from .models import ProviderTemplate
from .outbox import record_delivery_status

logger = logging.getLogger(__name__)

PARAM_MAX = 35
# Our placeholder → the Aliyun variable that carries only the link's key.
LINK_VARIABLES = {"status_url": "status_key", "survey_url": "survey_key"}
# Not variables: fixed in the approved template text, or shown by the signature.
FIXED_IN_TEMPLATE = frozenset({*RATING_SCALE, "tenant"})
# Aliyun's dates (SendDate, send_time) are Beijing time.
ALIYUN_TIME_ZONE = ZoneInfo("Asia/Shanghai")
LOOKUP_PAGE = 50
LOOKUP_MAX_PAGES = 4
LOOKUP_MAX_DAYS = 30  # QuerySendDetails answers for the last 30 days only
CONNECT_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 10000

# SendSms answers HTTP 200 with these codes when it did not take the message: retry later.
NOT_TAKEN_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # flow control per number / minute / hour
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",  # the account's balance: an administrator tops it up
        "Throttling.User",
    }
)
# …and these when its own systems failed, so whether it took the message is unknown.
UNCLEAR_CODES = frozenset({"isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isp.ServiceUnavailable"})


def template_variables(kind: str, params: dict[str, str]) -> dict[str, str]:
    """The TemplateParam of `kind`: every variable its approved template may use, in name
    order (Tencent Cloud's positional parameters follow the same order)."""
    values: dict[str, str] = {}
    for name in sorted(PLACEHOLDERS.get(kind, frozenset()) - FIXED_IN_TEMPLATE):
        value = str(params.get(name, ""))
        if name in LINK_VARIABLES:
            key = urlparse(value).path.strip("/").rsplit("/", 1)[-1]
            if len(key) > PARAM_MAX:
                # A cut key is a broken link: better no SMS than a wrong one.
                raise PermanentSmsError(f"link key of {name} too long for Aliyun", code="param")
            values[LINK_VARIABLES[name]] = key
        else:
            values[name] = _clip(value)
    return values


def variable_names(kind: str) -> list[str]:
    """The variables the approved template of `kind` declares (the README's table)."""
    return list(template_variables(kind, {}))


def _clip(value: str) -> str:
    flat = " ".join(value.split())  # no line breaks inside a variable
    return flat if len(flat) <= PARAM_MAX else flat[: PARAM_MAX - 1] + "…"


def aliyun_number(e164: str) -> str:
    """Mainland numbers as Aliyun takes them (13812345678); others with their country code and
    no "+" (they need Aliyun's international templates)."""
    if e164.startswith("+86"):
        return e164[3:]
    return e164.lstrip("+")


def template_codes(tenant_id: int) -> dict[str, str]:
    with scopes_disabled():
        return dict(
            ProviderTemplate.objects.filter(tenant_id=tenant_id).values_list(
                "kind", "template_code"
            )
        )


@lru_cache(maxsize=32)
def _client(access_key_id: str, access_key_secret: str, endpoint: str):
    """One SDK client per account (its HTTP sessions are pooled by the SDK)."""
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as openapi

    return Client(
        openapi.Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=endpoint,
            connect_timeout=CONNECT_TIMEOUT_MS,
            read_timeout=READ_TIMEOUT_MS,
        )
    )


class AliyunBackend:
    """SendSms with the tenant's SignName and the kind's TemplateCode; OutId is our reference,
    which QuerySendDetails and the delivery receipts give back."""

    can_look_up = True

    def __init__(self, client, sign_name: str, templates: dict[str, str]) -> None:
        self.client = client
        self.sender = sign_name
        self.templates = templates

    def send(self, sms: OutgoingSms) -> str:
        from alibabacloud_dysmsapi20170525 import models

        code = self.templates.get(sms.kind)
        if not code:
            raise PermanentSmsError(
                f"No approved Aliyun template for {sms.kind!r} (报备短信模板)", code="no_template"
            )
        request = models.SendSmsRequest(
            phone_numbers=aliyun_number(sms.to),
            sign_name=sms.sender,
            template_code=code,
            template_param=json.dumps(
                template_variables(sms.kind, sms.params), ensure_ascii=False, sort_keys=True
            ),
            out_id=sms.ref or None,
        )
        with _translated_errors():
            body = self.client.send_sms_with_options(request, _runtime()).body
        if body.code != "OK":
            raise _refused(body.code or "", body.message or "")
        return body.biz_id

    def find(self, *, to: str, sender: str, since: datetime) -> list[ProviderRecord]:
        """What Aliyun holds for the number since `since`, day by day (its query takes one
        date), newest day first."""
        from alibabacloud_dysmsapi20170525 import models

        today = timezone.now().astimezone(ALIYUN_TIME_ZONE).date()
        day = max(since.astimezone(ALIYUN_TIME_ZONE).date(), today - timedelta(LOOKUP_MAX_DAYS))
        days = []
        while day <= today:
            days.append(day)
            day += timedelta(days=1)
        found: list[ProviderRecord] = []
        for day in reversed(days):
            for page in range(1, LOOKUP_MAX_PAGES + 1):
                request = models.QuerySendDetailsRequest(
                    phone_number=aliyun_number(to),
                    send_date=day.strftime("%Y%m%d"),
                    page_size=LOOKUP_PAGE,
                    current_page=page,
                )
                with _translated_errors():
                    body = self.client.query_send_details_with_options(request, _runtime()).body
                if body.code != "OK":
                    raise _refused(body.code or "", body.message or "")
                dtos = body.sms_send_detail_dtos
                rows = (dtos.sms_send_detail_dto if dtos else None) or []
                found += [_record(row) for row in rows]
                if len(rows) < LOOKUP_PAGE:
                    break
        return [r for r in found if r.created_at is None or r.created_at >= since]


def _record(row) -> ProviderRecord:
    sent = None
    if row.send_date:
        sent = datetime.strptime(row.send_date, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=ALIYUN_TIME_ZONE
        )
    # QuerySendDetails gives no BizId: the delivery receipt (matched by OutId) brings it.
    status = {1: "sending", 2: "failed", 3: "delivered"}.get(row.send_status, "")
    return ProviderRecord("", status, row.content or "", sent, ref=row.out_id or "")


def _runtime():
    from darabonba.runtime import RuntimeOptions

    return RuntimeOptions(connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS)


def _refused(code: str, message: str) -> Exception:
    text = f"Aliyun {code}: {message}"
    if code in NOT_TAKEN_CODES:
        return TransientSmsError(text, code=code, ambiguous=False)
    if code in UNCLEAR_CODES:
        return TransientSmsError(text, code=code, ambiguous=True)
    return PermanentSmsError(text, code=code)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """The SDK's exceptions as our transient/permanent ones."""
    from alibabacloud_tea_openapi.exceptions import (
        ClientException,
        ServerException,
        ThrottlingException,
    )
    from darabonba.exceptions import UnretryableException

    try:
        yield
    except ThrottlingException as exc:
        raise TransientSmsError(f"Aliyun throttled: {exc.code}", code="throttled") from exc
    except ClientException as exc:  # 4xx: credentials, signature, parameters
        raise PermanentSmsError(
            f"Aliyun HTTP {exc.status_code} {exc.code}", code=str(exc.code or exc.status_code)
        ) from exc
    except ServerException as exc:  # 5xx: it may have taken the message
        raise TransientSmsError(
            f"Aliyun HTTP {exc.status_code} {exc.code}", code=str(exc.status_code)
        ) from exc
    except UnretryableException as exc:
        # The SDK wraps the requests error it hit; a connect timeout never reached Aliyun.
        cause = getattr(exc, "inner_exception", None)
        cause = getattr(cause, "__context__", None) or cause
        raise TransientSmsError(
            f"Aliyun unreachable: {type(cause).__name__}",
            code=type(cause).__name__[:40],
            ambiguous=not isinstance(cause, requests.ConnectTimeout),
        ) from exc


def aliyun_backend(tenant_id: int) -> AliyunBackend:
    """The registry's factory (settings.SMS_BACKENDS["aliyun"])."""
    credentials = aliyun_credentials_for(tenant_id)
    if not (credentials.access_key_id and credentials.access_key_secret):
        raise TransientSmsError(
            "Aliyun credentials are not configured (ALIYUN_ACCESS_KEY_ID, "
            "ALIYUN_ACCESS_KEY_SECRET)",
            code="config",
            ambiguous=False,
        )
    client = _client(
        credentials.access_key_id, credentials.access_key_secret, settings.ALIYUN_SMS_ENDPOINT
    )
    return AliyunBackend(client, credentials.sign_name, template_codes(tenant_id))


# --- what Aliyun pushes (消息回执, HTTP batch push) ---------------------------------------


def _is_true(value) -> bool:
    return value is True or str(value).lower() == "true"


def record_reports(tenant_id: int, batch: list[dict]) -> list[str]:
    """SmsReport items (delivery receipts): the outbox's delivered / undelivered, as Twilio's
    status callback gives them. Matched by OutId (our reference), else BizId."""
    outcomes = []
    for item in batch:
        delivered = _is_true(item.get("success"))
        code = str(item.get("err_code") or "")
        outcomes.append(
            record_delivery_status(
                ref=str(item.get("out_id") or ""),
                provider_id=str(item.get("biz_id") or ""),
                status="delivered" if delivered else "undelivered",
                error_code="" if delivered else code[:40],
                detail=f"Aliyun {code}: {item.get('err_msg') or ''}".strip(),
                tenant_id=tenant_id,
            )
        )
    return outcomes


def receive_replies(tenant_id: int, batch: list[dict]) -> list[str]:
    """SmsUp items (上行短信): the same handling as a Twilio inbound SMS, once per item."""
    outcomes = []
    for item in batch:
        phone = str(item.get("phone_number") or "")
        content = str(item.get("content") or "")
        sequence = str(item.get("sequence_id") or "")
        if not sequence:
            # Without Aliyun's id, the same push pushed again must still be one reply.
            seen = f"{phone}|{item.get('send_time')}|{content}"
            sequence = "h" + hashlib.sha256(seen.encode()).hexdigest()[:32]
        outcomes.append(
            receive_sms(
                InboundSms(
                    provider_id=f"aliyun:{tenant_id}:{sequence}",
                    sender=phone,
                    recipient=str(item.get("dest_code") or item.get("sign_name") or ""),
                    body=content,
                    tenant_id=tenant_id,
                )
            )
        )
    return outcomes
