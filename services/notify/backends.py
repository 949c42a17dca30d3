"""SMS backends (短信服务商) behind one interface, chosen per tenant from a registry.

A backend is made for one tenant by a factory named in `settings.SMS_BACKENDS` (name → dotted
path of `factory(tenant_id) -> backend`); the tenant's 短信设置 picks the name, else
`settings.SMS_BACKEND`. A backend has:

- `sender`: what its messages go out as (a number for Twilio, the SignName for Aliyun), kept
  with each message;
- `send(sms) -> provider id`: sends one `OutgoingSms`, a **template key** (`kind`) with its
  **parameters** (`params`), plus the text our own template renders (`body`) for providers
  that take free text, and our reference (`ref`, the outbox row) for those that carry one;
- `find(to=, sender=, since=)`: what the provider already holds for a recipient, so a send
  whose outcome is unknown (a read timeout, a dead worker) is checked before anything is sent
  again. Backends that cannot look up say so (`can_look_up`).

Errors are `TransientSmsError` (retry; `ambiguous` when the provider may have taken it) or
`PermanentSmsError`.

Twilio sends `body`. Aliyun (aliyun.py) maps `kind` to the tenant's approved TemplateCode and
sends `params` as TemplateParam under its SignName. Tencent Cloud SMS fits the same way: a
factory reading the tenant's SdkAppId, SignName and secret; `send` maps `kind` to the tenant's
approved TemplateId (the same per-kind template table) and passes `template_variables(kind,
params)` in order as TemplateParamSet with SessionContext = `ref`; `find` is
PullSmsSendStatusByPhoneNumber, matched on SessionContext; its callbacks (status and reply
JSON arrays) map onto `record_delivery_status` and `receive_sms` as Aliyun's do.
"""

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .credentials import credentials_for

logger = logging.getLogger(__name__)


class TransientSmsError(Exception):
    """Worth retrying later: timeouts, 5xx, rate limits.

    `ambiguous`: the provider may have taken the message anyway (a read timeout, a 500), so the
    next attempt must look before it sends.
    """

    def __init__(self, message: str, *, code: str = "", ambiguous: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.ambiguous = ambiguous


class PermanentSmsError(Exception):
    """Retrying will not help: an invalid number, a blocked recipient, bad credentials."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    sender: str
    status_callback: str
    kind: str = ""  # the template key (kinds.Kind)
    params: dict[str, str] = field(default_factory=dict)  # the template's parameters
    ref: str = ""  # our reference (the outbox row), for providers that carry one


@dataclass(frozen=True)
class ProviderRecord:
    """A message the provider holds; `ref` is our reference when the provider kept it."""

    provider_id: str
    status: str
    body: str
    created_at: datetime | None
    ref: str = ""


class ConsoleBackend:
    """The embedded default: logs what would be sent. Keeps nothing, so cannot look up."""

    can_look_up = False
    _ids = itertools.count(1)

    def __init__(self, sender: str = "") -> None:
        self.sender = sender

    def send(self, sms: OutgoingSms) -> str:
        from services.privacy import mask_phone

        provider_id = f"console-{next(self._ids)}"
        logger.info("SMS %s to %s: %s", provider_id, mask_phone(sms.to), sms.body)
        return provider_id

    def find(self, *, to: str, sender: str, since: datetime) -> list[ProviderRecord]:
        raise NotImplementedError


@dataclass
class MemoryBackend:
    """For tests: keeps what was sent, in order, and answers look-ups from it."""

    can_look_up = True
    sent: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    sender: str = ""

    def send(self, sms: OutgoingSms) -> str:
        with self._lock:
            sid = f"memory-{len(self.sent) + 1}"
            self.sent.append(
                {
                    "sid": sid,
                    "to": sms.to,
                    "body": sms.body,
                    "sender": sms.sender,
                    "status_callback": sms.status_callback,
                    "kind": sms.kind,
                    "params": dict(sms.params),
                    "at": timezone.now(),
                }
            )
            return sid

    def find(self, *, to: str, sender: str, since: datetime) -> list[ProviderRecord]:
        with self._lock:
            return [
                ProviderRecord(m["sid"], "sent", m["body"], m["at"])
                for m in reversed(self.sent)
                if m["to"] == to and m["sender"] == sender and m["at"] >= since
            ]


# Twilio answers these when it did not take the message: safe to send again without looking.
TWILIO_NOT_TAKEN_STATUS = {429, 503}
TWILIO_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
LOOKUP_PAGE = 50

# The Twilio client logs request URLs and query strings (phone numbers) at INFO.
_quiet_http_logger = logging.getLogger("services.notify.twilio_http")
_quiet_http_logger.setLevel(logging.WARNING)


class TwilioBackend:
    """The real Twilio client (`messages.create` with a status callback) over `requests`."""

    can_look_up = True

    def __init__(self, client: Client, sender: str) -> None:
        self.client = client
        self.sender = sender

    def send(self, sms: OutgoingSms) -> str:
        with _translated_errors():
            message = self.client.messages.create(
                to=sms.to, from_=sms.sender, body=sms.body, status_callback=sms.status_callback
            )
        return message.sid

    def find(self, *, to: str, sender: str, since: datetime) -> list[ProviderRecord]:
        # Twilio keeps no reference of ours on a message, so recipient, sender and time narrow
        # it down and the caller compares the text. Newest first; a queued message has no
        # date_sent yet, so the filter is on date_created, here.
        with _translated_errors():
            found = self.client.messages.list(to=to, from_=sender, limit=LOOKUP_PAGE)
        return [
            ProviderRecord(m.sid, m.status or "", m.body or "", m.date_created)
            for m in found
            if m.date_created is None or m.date_created >= since
        ]


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Twilio's and requests' exceptions as our transient/permanent ones."""
    try:
        yield
    except TwilioRestException as exc:
        code = str(exc.code or exc.status)
        text = f"Twilio HTTP {exc.status} code {exc.code}: {exc.msg}"
        if exc.status in TWILIO_RETRYABLE_STATUS:
            raise TransientSmsError(
                text, code=code, ambiguous=exc.status not in TWILIO_NOT_TAKEN_STATUS
            ) from exc
        raise PermanentSmsError(text, code=code) from exc
    except requests.RequestException as exc:
        # A connect timeout never reached Twilio; anything later (read timeout, a dropped
        # connection) may have left a message behind.
        raise TransientSmsError(
            f"Twilio unreachable: {type(exc).__name__}",
            code=type(exc).__name__,
            ambiguous=not isinstance(exc, requests.ConnectTimeout),
        ) from exc


@lru_cache(maxsize=32)
def _twilio_client(account_sid: str, auth_token: str, timeout: float = 10.0) -> Client:
    """One client (and connection pool) per account."""
    return Client(
        account_sid,
        auth_token,
        http_client=TwilioHttpClient(timeout=timeout, logger=_quiet_http_logger),
    )


_memory = MemoryBackend()


def console_backend(tenant_id: int) -> ConsoleBackend:
    return ConsoleBackend(credentials_for(tenant_id).sender)


def memory_backend(tenant_id: int) -> MemoryBackend:
    """The one shared store, seen with the tenant's sender."""
    return MemoryBackend(
        sent=_memory.sent, _lock=_memory._lock, sender=credentials_for(tenant_id).sender
    )


def twilio_backend(tenant_id: int) -> TwilioBackend:
    credentials = credentials_for(tenant_id)
    if not (credentials.account_sid and credentials.auth_token):
        raise TransientSmsError(
            "Twilio credentials are not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
            code="config",
            ambiguous=False,
        )
    return TwilioBackend(
        _twilio_client(credentials.account_sid, credentials.auth_token), credentials.sender
    )


def backend_name(tenant_id: int) -> str:
    """The provider the tenant uses: its own choice in 短信设置, else the deployment's."""
    from .preferences import settings_for

    return settings_for(tenant_id).sms_backend or settings.SMS_BACKEND


def get_backend(tenant_id: int):
    """The tenant's backend, made by the factory the registry names for it."""
    name = backend_name(tenant_id)
    path = settings.SMS_BACKENDS.get(name)
    if path is None:
        raise ValueError(
            f"Unknown SMS backend {name!r}: use one of {', '.join(sorted(settings.SMS_BACKENDS))}"
        )
    return import_string(path)(tenant_id)


def memory_outbox() -> MemoryBackend:
    return _memory
