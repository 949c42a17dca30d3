"""A fake of Twilio's HTTP API (Messages: create and list) on `responses`, so the real Twilio
client and `requests` run, and it can time out, fail, rate-limit or refuse a number the way
Twilio does. Other notify tests import `FakeTwilio` and the `fake_twilio` fixture; the tests
here check that the fake speaks Twilio's shapes."""

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.fake_twilio import ACCOUNT_SID
from tests.helpers import TWILIO_TEST_TOKEN


def _client() -> Client:
    return Client(ACCOUNT_SID, TWILIO_TEST_TOKEN)


def test_the_real_client_reads_what_the_fake_answers(fake_twilio):
    sent = _client().messages.create(to="+8613812345678", from_="+8610690012345", body="你好")
    listed = _client().messages.list(to="+8613812345678", from_="+8610690012345")
    assert [m.sid for m in listed] == [sent.sid]
    assert listed[0].body == "你好"
    assert listed[0].date_created is not None
    assert _client().messages.list(to="+8613900000000") == []


def test_the_fake_refuses_like_twilio(fake_twilio):
    fake_twilio.faults = ["invalid_number", 429]
    with pytest.raises(TwilioRestException) as invalid:
        _client().messages.create(to="+86123", from_="+8610690012345", body="x")
    assert (invalid.value.status, invalid.value.code) == (400, 21211)
    with pytest.raises(TwilioRestException) as limited:
        _client().messages.create(to="+8613812345678", from_="+8610690012345", body="x")
    assert (limited.value.status, limited.value.code) == (429, 20429)
    with pytest.raises(TwilioRestException) as unauthorised:
        Client(ACCOUNT_SID, "wrong").messages.create(to="+1", from_="+1", body="x")
    assert unauthorised.value.status == 401
    assert fake_twilio.messages == []
