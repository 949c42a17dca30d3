"""The fake of Alibaba Cloud SMS (tests/fake_aliyun.py) speaks Aliyun's shapes: the official
SDK reads what it answers, and it refuses as Aliyun does."""

import pytest
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi
from alibabacloud_tea_openapi.exceptions import ClientException
from django.utils import timezone

from tests.fake_aliyun import ACCESS_KEY_ID, ACCESS_KEY_SECRET, BEIJING, ENDPOINT


def _client(secret: str = ACCESS_KEY_SECRET) -> Client:
    return Client(
        openapi.Config(access_key_id=ACCESS_KEY_ID, access_key_secret=secret, endpoint=ENDPOINT)
    )


def test_the_real_sdk_reads_what_the_fake_answers(fake_aliyun):
    sent = _client().send_sms(
        models.SendSmsRequest(
            phone_numbers="13812345678",
            sign_name="温岭共治码",
            template_code="SMS_1",
            template_param='{"tracking_number": "261124-03817"}',
            out_id="7",
        )
    )
    assert (sent.body.code, sent.body.biz_id) == ("OK", "000001^0")
    today = timezone.now().astimezone(BEIJING).strftime("%Y%m%d")
    listed = _client().query_send_details(
        models.QuerySendDetailsRequest(
            phone_number="13812345678", send_date=today, page_size=10, current_page=1
        )
    )
    [row] = listed.body.sms_send_detail_dtos.sms_send_detail_dto
    assert (row.out_id, row.template_code) == ("7", "SMS_1")
    assert fake_aliyun.messages[0]["params"] == {"tracking_number": "261124-03817"}


def test_the_fake_refuses_like_aliyun(fake_aliyun):
    fake_aliyun.faults = ["invalid_number"]
    refused = _client().send_sms(
        models.SendSmsRequest(phone_numbers="123", sign_name="x", template_code="SMS_1")
    )
    assert refused.body.code == "isv.MOBILE_NUMBER_ILLEGAL"
    with pytest.raises(ClientException) as forged:
        _client(secret="wrong").send_sms(
            models.SendSmsRequest(phone_numbers="13812345678", sign_name="x", template_code="S")
        )
    assert forged.value.code == "SignatureDoesNotMatch"
    assert fake_aliyun.messages == []
