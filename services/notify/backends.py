"""SMS backends behind one interface: `send(to, body, sender, status_callback) -> provider id`."""

import itertools
import logging
import threading
from dataclasses import dataclass, field

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

logger = logging.getLogger(__name__)


class TransientSmsError(Exception):
    """Worth retrying later: timeouts, 5xx, rate limits."""


class PermanentSmsError(Exception):
    """Retrying will not help: an invalid number, a blocked recipient, bad credentials."""


class ConsoleBackend:
    """The embedded default: prints what would be sent."""

    _ids = itertools.count(1)

    def send(self, *, to: str, body: str, sender: str, status_callback: str) -> str:
        provider_id = f"console-{next(self._ids)}"
        logger.info("SMS %s to %s: %s", provider_id, to, body)
        return provider_id


@dataclass
class MemoryBackend:
    """For tests: keeps what was sent, in order."""

    sent: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, *, to: str, body: str, sender: str, status_callback: str) -> str:
        with self._lock:
            self.sent.append({"to": to, "body": body, "sender": sender})
            return f"memory-{len(self.sent)}"


# HTTP statuses worth retrying; anything else Twilio refuses (e.g. an invalid number) is final.
TWILIO_RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class TwilioBackend:
    """The real Twilio client: `messages.create` with a status callback."""

    def __init__(self, account_sid: str, auth_token: str, timeout: float = 10.0) -> None:
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))

    def send(self, *, to: str, body: str, sender: str, status_callback: str) -> str:
        try:
            message = self.client.messages.create(
                to=to, from_=sender, body=body, status_callback=status_callback
            )
        except TwilioRestException as exc:
            if exc.status in TWILIO_RETRYABLE_STATUS:
                raise TransientSmsError(f"Twilio HTTP {exc.status}: {exc.msg}") from exc
            raise PermanentSmsError(f"Twilio HTTP {exc.status} code {exc.code}: {exc.msg}") from exc
        except requests.RequestException as exc:
            raise TransientSmsError(f"Twilio unreachable: {exc!r}") from exc
        return message.sid


_memory = MemoryBackend()


def get_backend():
    """The backend named by settings.SMS_BACKEND."""
    name = settings.SMS_BACKEND
    if name == "twilio":
        return TwilioBackend(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    if name == "memory":
        return _memory
    if name == "console":
        return ConsoleBackend()
    raise ValueError(f"Unknown SMS_BACKEND {name!r}: use console, twilio or memory")


def memory_outbox() -> MemoryBackend:
    return _memory
