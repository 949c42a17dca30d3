"""Small helpers shared by tests."""

from django.test import Client
from django_scopes import scopes_disabled
from twilio.request_validator import RequestValidator

from services.intake import api as intake

from .conftest import TWILIO_TEST_TOKEN


def entry_token(tenant_id: int, scenario_name: str) -> str:
    return next(t for t, label in intake.entry_point_tokens(tenant_id) if scenario_name in label)


def wage_arrears_form(**overrides) -> dict:
    data = {
        "description": "工地老板拖欠我们三个月工资，多次讨要未果。",
        "reporter_phone": "138 1234 5678",
        "reporter_name": "王师傅",
        "employer_name": "某某建筑公司",
        "work_site": "新河镇塘下工业区",
        "amount_owed": "36000",
        "months_owed": "3",
        "workers_affected": "4",
    }
    data.update(overrides)
    return data


def post_signed(
    client: Client,
    path: str,
    params: dict,
    *,
    token: str = TWILIO_TEST_TOKEN,
    signature: str | None = None,
):
    """POSTs like Twilio does: form-encoded, signed over the full URL and the parameters."""
    url = f"http://testserver{path}"
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def case_model():
    """Tests may read intake's tables directly to assert what was stored."""
    from services.intake.models import Case

    return Case


def all_cases() -> list:
    with scopes_disabled():
        return list(case_model().objects.all())
