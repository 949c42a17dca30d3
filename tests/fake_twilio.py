"""Twilio's HTTP API, faked with `responses` (the `fake_twilio` fixture in conftest installs
it): what Twilio holds, and the faults it will answer the next requests with."""

import base64
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime
from urllib.parse import parse_qs, urlparse

import requests
import responses
from django.utils import timezone

from tests.helpers import TWILIO_TEST_TOKEN, post_signed

ACCOUNT_SID = "AC" + "f" * 32


MESSAGES_URL = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/(AC\w+)/Messages\.json")


# Twilio's error bodies: {"code", "message", "more_info", "status"}.
ERRORS = {
    400: (21211, "The 'To' number {to} is not a valid phone number."),
    401: (20003, "Authenticate"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


class WorkerKilled(BaseException):
    """Stands for SIGKILL at that instant: no `except Exception` runs, nothing after it."""


@dataclass
class FakeTwilio:
    """What Twilio holds (`messages`) and what it will do to the next create requests (`faults`).

    Faults, one per create request, in order: "read_timeout", "connect_timeout",
    "accept_then_read_timeout" (Twilio took it, the response was lost), "accept_then_die",
    "die_before_accept", "invalid_number", or an HTTP status (429, 500, 503).
    """

    account_sid: str = ACCOUNT_SID
    auth_token: str = TWILIO_TEST_TOKEN
    messages: list[dict] = field(default_factory=list)
    faults: list = field(default_factory=list)
    create_requests: int = 0
    list_requests: int = 0
    _sids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.POST, MESSAGES_URL, callback=self._create)
        rsps.add_callback(responses.GET, MESSAGES_URL, callback=self._list)

    def accepted_to(self, to: str) -> list[dict]:
        return [m for m in self.messages if m["to"] == to]

    def accept(self, params: dict[str, str]) -> dict:
        """Twilio takes a message (also used for one a killed process handed over)."""
        now = timezone.now()
        message = {
            "sid": f"SM{next(self._sids):032x}",
            "to": params["To"],
            "from": params["From"],
            "body": params["Body"],
            "status_callback": params.get("StatusCallback", ""),
            "status": "queued",
            "date_created": now,
        }
        self.messages.append(message)
        return message

    def _authorised(self, request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _create(self, request):
        self.create_requests += 1
        if not self._authorised(request):
            return _error(401)
        params = {k: v[0] for k, v in parse_qs(request.body).items()}
        fault = self.faults.pop(0) if self.faults else None
        if fault == "read_timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=10.0)")
        if fault == "connect_timeout":
            raise requests.exceptions.ConnectTimeout("Connection to api.twilio.com timed out.")
        if fault == "die_before_accept":
            raise WorkerKilled
        if isinstance(fault, int):
            return _error(fault)
        if fault == "invalid_number":
            return _error(400, to=params["To"])
        message = self.accept(params)
        if fault == "accept_then_read_timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=10.0)")
        if fault == "accept_then_die":
            raise WorkerKilled
        return 201, {"Content-Type": "application/json"}, _resource(self.account_sid, message)

    def _list(self, request):
        self.list_requests += 1
        if not self._authorised(request):
            return _error(401)
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        found = [
            m
            for m in reversed(self.messages)  # newest first, as Twilio lists them
            if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])
        ]
        page = ",".join(_resource(self.account_sid, m) for m in found)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        body = (
            f'{{"messages": [{page}], "end": {max(len(found) - 1, 0)}, "first_page_uri": "{uri}",'
            f' "next_page_uri": null, "page": 0, "page_size": 50, "previous_page_uri": null,'
            f' "start": 0, "uri": "{uri}"}}'
        )
        return 200, {"Content-Type": "application/json"}, body

    def report(self, client, message: dict, status: str, error_code: str = ""):
        """Twilio's signed delivery report to the message's status callback URL."""
        url = urlparse(message["status_callback"])
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message["from"],
            "MessageSid": message["sid"],
            "MessageStatus": status,
            "SmsSid": message["sid"],
            "SmsStatus": status,
            "To": message["to"],
        }
        if error_code:
            params["ErrorCode"] = error_code
        path = f"{url.path}?{url.query}" if url.query else url.path
        return post_signed(client, path, params, token=self.auth_token)


def _error(status: int, to: str = ""):
    code, text = ERRORS[status]
    body = {
        "code": code,
        "message": text.format(to=to),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def _resource(account_sid: str, m: dict) -> str:
    created = format_datetime(m["date_created"].astimezone(UTC), usegmt=True)
    return json.dumps(
        {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": m["body"],
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": m["from"],
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": m["sid"],
            "status": m["status"],
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{m['sid']}/Media.json"
            },
            "to": m["to"],
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{m['sid']}.json",
        },
        ensure_ascii=False,
    )
