"""A fake of Alibaba Cloud SMS's HTTP API (SendSms, QuerySendDetails) on `responses`, so the
official SDK and its HTTP layer (darabonba over `requests`) run, and it can time out, fail,
throttle or refuse the way Aliyun does; plus the JSON batches Aliyun pushes back (SmsReport,
SmsUp). The `fake_aliyun` fixture (conftest.py) installs it; tests/notify/test_notify_fake_aliyun.py
checks that it speaks Aliyun's shapes and checks its ACS3-HMAC-SHA256 signatures."""

import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlparse
from zoneinfo import ZoneInfo

import requests
import responses
from django.utils import timezone

from tests.fake_twilio import WorkerKilled

ACCESS_KEY_ID = "LTAI5tFakeAccessKeyId"
ACCESS_KEY_SECRET = "fake-access-key-secret"
ENDPOINT = "dysmsapi.aliyuncs.com"
API_URL = re.compile(r"https://dysmsapi\.aliyuncs\.com/.*")
BEIJING = ZoneInfo("Asia/Shanghai")

# SendSms's business refusals (HTTP 200) and HTTP errors, as Aliyun words them.
REFUSALS = {
    "invalid_number": ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
    "flow_control": ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
    "system_error": ("isp.SYSTEM_ERROR", "系统错误"),
    "no_template": ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
}


@dataclass
class FakeAliyun:
    """What Aliyun holds (`messages`) and what it does to the next SendSms requests (`faults`).

    Faults, one per SendSms, in order: "read_timeout", "connect_timeout",
    "accept_then_read_timeout", "accept_then_die", a REFUSALS key, or an HTTP status (503).
    """

    access_key_id: str = ACCESS_KEY_ID
    access_key_secret: str = ACCESS_KEY_SECRET
    messages: list[dict] = field(default_factory=list)
    faults: list = field(default_factory=list)
    send_requests: int = 0
    query_requests: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.POST, API_URL, callback=self._call)

    def sent_to(self, phone: str) -> list[dict]:
        return [m for m in self.messages if m["phone"] == phone]

    def _call(self, request):
        if not self._signed(request):
            return _json(
                400,
                {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"},
            )
        query = dict(parse_qsl(urlparse(request.url).query, keep_blank_values=True))
        action = request.headers.get("x-acs-action")
        if action == "SendSms":
            return self._send(query)
        if action == "QuerySendDetails":
            return self._query(query)
        return _json(404, {"Code": "InvalidAction.NotFound", "Message": action})

    def _signed(self, request) -> bool:
        """Aliyun's side of ACS3-HMAC-SHA256, written from its documentation."""
        match = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=(\w+)",
            request.headers.get("Authorization", ""),
        )
        if match is None or match.group(1) != self.access_key_id:
            return False
        url = urlparse(request.url)
        query = sorted(parse_qsl(url.query, keep_blank_values=True))
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in query)
        signed = match.group(2).split(";")
        headers = {k.lower(): v.strip() for k, v in request.headers.items()}
        canonical_headers = "".join(f"{name}:{headers.get(name, '')}\n" for name in signed)
        body = request.body or b""
        payload = hashlib.sha256(body if isinstance(body, bytes) else body.encode()).hexdigest()
        canonical = "\n".join(
            [
                request.method,
                url.path or "/",
                canonical_query,
                canonical_headers,
                ";".join(signed),
                payload,
            ]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(self.access_key_secret.encode(), to_sign.encode(), "sha256").hexdigest()
        return hmac.compare_digest(expected, match.group(3))

    def _send(self, query: dict):
        self.send_requests += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "read_timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=10.0)")
        if fault == "connect_timeout":
            raise requests.exceptions.ConnectTimeout("Connection to dysmsapi timed out.")
        if isinstance(fault, int):
            return _json(fault, {"Code": "ServiceUnavailable", "Message": "try later"})
        if fault in REFUSALS:
            code, text = REFUSALS[fault]
            return _json(200, {"Code": code, "Message": text, "RequestId": "R"})
        message = self.accept(query)
        if fault == "accept_then_read_timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=10.0)")
        if fault == "accept_then_die":
            raise WorkerKilled
        return _json(
            200, {"Code": "OK", "Message": "OK", "BizId": message["biz_id"], "RequestId": "R"}
        )

    def accept(self, query: dict) -> dict:
        message = {
            "biz_id": f"{next(self._ids):06d}^0",
            "phone": query["PhoneNumbers"],
            "sign_name": query["SignName"],
            "template_code": query["TemplateCode"],
            "params": json.loads(query.get("TemplateParam") or "{}"),
            "out_id": query.get("OutId", ""),
            "at": timezone.now().astimezone(BEIJING),
        }
        self.messages.append(message)
        return message

    def _query(self, query: dict):
        self.query_requests += 1
        day = query["SendDate"]
        found = [
            m
            for m in self.messages
            if m["phone"] == query["PhoneNumber"] and m["at"].strftime("%Y%m%d") == day
        ]
        size, page = int(query.get("PageSize", 10)), int(query.get("CurrentPage", 1))
        rows = [
            {
                "PhoneNum": m["phone"],
                "SendStatus": 1,
                "ErrCode": "",
                "TemplateCode": m["template_code"],
                "Content": f"【{m['sign_name']}】{json.dumps(m['params'], ensure_ascii=False)}",
                "SendDate": m["at"].strftime("%Y-%m-%d %H:%M:%S"),
                "ReceiveDate": "",
                "OutId": m["out_id"],
            }
            for m in found[(page - 1) * size : page * size]
        ]
        return _json(
            200,
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": "R",
                "TotalCount": len(found),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows},
            },
        )

    # --- Aliyun's pushes to our callback URLs -------------------------------------------

    @staticmethod
    def report(message: dict, *, success: bool = True, err_code: str = "DELIVERED") -> dict:
        """One SmsReport item for a message it sent."""
        now = timezone.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return {
            "phone_number": message["phone"],
            "send_time": now,
            "report_time": now,
            "success": success,
            "err_code": err_code if not success else "DELIVERED",
            "err_msg": "用户接收成功" if success else "用户停机",
            "sms_size": "1",
            "biz_id": message["biz_id"],
            "out_id": message["out_id"],
        }

    @staticmethod
    def reply(phone: str, content: str, sequence_id: int, sign_name: str = "温岭共治码") -> dict:
        """One SmsUp item: a citizen's reply (上行短信)."""
        return {
            "phone_number": phone,
            "send_time": timezone.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "content": content,
            "sign_name": sign_name,
            "dest_code": "1234",
            "sequence_id": sequence_id,
        }


def push(client, url: str, batch: list[dict]):
    """Aliyun's HTTP batch push: a JSON array in a POST."""
    return client.post(url, json.dumps(batch, ensure_ascii=False), content_type="application/json")


def _json(status: int, body: dict):
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(body)
