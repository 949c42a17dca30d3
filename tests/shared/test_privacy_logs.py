"""Operator logs never carry a citizen's whole phone number: each log line masks it, and the
handlers' filter masks whatever a line (or a library) forgot."""

import io
import logging

import pytest

from services.privacy import PhoneMaskingFilter, mask_likely_phones
from tests.builders import submit

WHOLE = ["13812345678", "+8613812345678", "138 1234 5678", "138-1234-5678"]


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("to +8613812345678", "to 138****5678"),
        ("caller 13812345678.", "caller 138****5678."),
        ("电话138 1234 5678，请回电", "电话138****5678，请回电"),
        ("GET /2010-04-01/Messages?To=%2B8613812345678", "GET /2010-04-01/Messages?To=138****5678"),
        ("landline 0576-86123456", "landline 057****3456"),
        ("uk +442071838750", "uk 442****8750"),
        ("联系人张三-13812345678", "联系人张三-138****5678"),
        ("phone=13812345678&x=1", "phone=138****5678&x=1"),
    ],
)
def test_phone_numbers_in_a_line_are_masked(line, masked):
    assert mask_likely_phones(line) == masked
    assert not any(number in mask_likely_phones(line) for number in WHOLE)


@pytest.mark.parametrize(
    "line",
    [
        "case 261124-03817 routed",  # tracking numbers stay readable
        "at 2026-11-24 08:00:01",
        "task 1234567890123 took 12345 ms",
        "SMS 42 (receipt, case 7, tenant 3)",
        # Hex ids (task ids, request ids, hashes) are not numbers, whatever digits they hold.
        "task_id=a0641234567350af done",
        "task_id=c064123457350a1f claimed",
        "task 064123457350a failed",
        "task_id=6f1c2e3a-9b1d-4c2e-8f0a-057686123456 claimed",
        "request_id=13812345678abcdef0123456789abcde",
        "phone_hash=deadbeef13812345678",
    ],
)
def test_what_is_not_a_phone_number_is_left_alone(line):
    assert mask_likely_phones(line) == line


def test_the_filter_rewrites_the_record_it_passes():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call %s about %s", None, None)
    record.args = ("+8613812345678", "261124-03817")
    assert PhoneMaskingFilter().filter(record) is True
    assert record.getMessage() == "call 138****5678 about 261124-03817"


def _console_handler() -> logging.Handler:
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PhoneMaskingFilter) for f in h.filters)
    ]
    return handler


@pytest.fixture
def console_log():
    """What the configured console handler (settings.LOGGING) writes, read back."""
    handler = _console_handler()
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


def test_the_configured_handler_masks_a_number_a_line_forgot(console_log):
    logging.getLogger("some.library").warning("request to=+8613812345678 failed")
    assert console_log.getvalue() == "request to=138****5678 failed\n"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("safety_net", [True, False])
def test_a_submission_and_its_sms_log_no_whole_number(
    demo, drain, settings, console_log, safety_net
):
    """With the filter, and without it: every line that mentions the number masks it itself."""
    settings.SMS_BACKEND = "console"  # the backend that logs every SMS it "sends"
    handler = _console_handler()
    net = next(f for f in handler.filters if isinstance(f, PhoneMaskingFilter))
    if not safety_net:
        handler.removeFilter(net)
    try:
        submit(demo, "138 1234 5678")
        drain("routing", "notify")
    finally:
        handler.addFilter(net)
    written = console_log.getvalue()
    assert "138****5678" in written, "the receipt SMS was sent and logged, masked"
    for number in WHOLE:
        assert number not in written
