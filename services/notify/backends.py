"""SMS backends behind one interface.

`send(sms) -> provider id` sends one SMS; `find(...)` lists what the provider already holds
for a recipient, so a send whose outcome is unknown (a read timeout, a dead worker) is checked
before anything is sent again. Backends that cannot look up say so (`can_look_up`).
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
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .credentials import Credentials

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


@dataclass(frozen=True)
class ProviderRecord:
    """A message the provider holds."""

    provider_id: str
    status: str
    body: str
    created_at: datetime | None


class ConsoleBackend:
    """The embedded default: logs what would be sent. Keeps nothing, so cannot look up."""

    can_look_up = False
    _ids = itertools.count(1)

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

    def __init__(self, account_sid: str, auth_token: str, timeout: float = 10.0) -> None:
        self.client = Client(
            account_sid,
            auth_token,
            http_client=TwilioHttpClient(timeout=timeout, logger=_quiet_http_logger),
        )

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
def _twilio(account_sid: str, auth_token: str) -> TwilioBackend:
    """One client (and connection pool) per account."""
    return TwilioBackend(account_sid, auth_token)


_memory = MemoryBackend()


def get_backend(credentials: Credentials):
    """The backend named by settings.SMS_BACKEND, for one tenant's credentials."""
    name = settings.SMS_BACKEND
    if name == "twilio":
        if not (credentials.account_sid and credentials.auth_token):
            raise TransientSmsError(
                "Twilio credentials are not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
                code="config",
                ambiguous=False,
            )
        return _twilio(credentials.account_sid, credentials.auth_token)
    if name == "memory":
        return _memory
    if name == "console":
        return ConsoleBackend()
    raise ValueError(f"Unknown SMS_BACKEND {name!r}: use console, twilio or memory")


def memory_outbox() -> MemoryBackend:
    return _memory
