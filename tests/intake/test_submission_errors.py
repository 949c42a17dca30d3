"""A malformed submission gets a clear Chinese error naming the field, and stores nothing."""

import pytest
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from services.intake.models import Case, CaseEvent
from tests.builders import entry_token, wage_arrears_form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": ""}, "description", "请描述您遇到的问题。"),
        ({"reporter_phone": "12345"}, "reporter_phone", "请输入有效的手机号码"),
        ({"reporter_phone": "+86 138 1234 567x"}, "reporter_phone", "请输入有效的手机号码"),
        ({"bonus_field": "x"}, "__all__", "未知字段“bonus_field”"),
        ({"workers_affected": "many"}, "workers_affected", "输入整数"),
        ({"workers_affected": "0"}, "workers_affected", "1"),
        ({"amount_owed": "-5"}, "amount_owed", "1"),
        ({"employer_name": ""}, "employer_name", "请填写“欠薪单位/老板”。"),
        ({"employer_name": "厂" * 101}, "employer_name", "100"),
    ],
)
def test_bad_submission_is_refused_with_the_field_named(client, demo, overrides, field, message):
    token = entry_token(demo.pk, "欠薪")
    with scopes_disabled():
        before = (Case.objects.count(), CaseEvent.objects.count(), DBTaskResult.objects.count())

    response = client.post(f"/c/{token}/", wage_arrears_form(**overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert any(message in str(e) for e in form.errors[field]), form.errors[field]
    html = response.content.decode()
    assert message in html, "the error is shown on the page, next to its field"
    with scopes_disabled():
        after = (Case.objects.count(), CaseEvent.objects.count(), DBTaskResult.objects.count())
    assert after == before


def test_anonymous_submission_is_accepted_without_phone(client, demo):
    token = entry_token(demo.pk, "校园")
    response = client.post(
        f"/c/{token}/",
        {
            "description": "校门口早上车辆乱停，孩子过马路很危险。",
            "school": "新河镇中心小学",
            "issue_type": "周边交通",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        case = Case.objects.get()
    assert case.reporter_phone == ""
    assert case.extra == {"school": "新河镇中心小学", "issue_type": "周边交通"}


def test_choice_outside_the_declared_options_is_refused(client, demo):
    token = entry_token(demo.pk, "校园")
    response = client.post(
        f"/c/{token}/",
        {
            "description": "问题",
            "school": "某小学",
            "issue_type": "<script>x</script>",
        },
    )
    assert response.status_code == 400
    assert "issue_type" in response.context["form"].errors
    assert "<script>x</script>" not in response.content.decode()


def test_unknown_entry_point_is_404(client, demo):
    assert client.get("/c/not-a-token/").status_code == 404
    assert client.post("/c/not-a-token/", wage_arrears_form()).status_code == 404
