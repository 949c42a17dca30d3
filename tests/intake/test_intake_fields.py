"""Scenario fields declared as data: every kind, its limits, and the same validation on the QR
form, the reception desk and the API. Every refusal leaves the database unchanged."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.builders import add_field, entry_token
from tests.helpers import db_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.fixture
def campus(demo):
    """The demo's campus code, with one field of every kind added by an administrator."""
    add_field(demo, "campus", name="notes", label="补充说明", kind="textarea", max_length=20)
    add_field(
        demo, "campus", name="pupils", label="涉及学生数", kind="integer", min_value=1, max_value=50
    )
    add_field(
        demo,
        "campus",
        name="cost",
        label="估计损失",
        kind="decimal",
        min_value="0.5",
        max_value=1000,
    )
    add_field(
        demo, "campus", name="seen_on", label="发现日期", kind="date", min_value=-30, max_value=0
    )
    add_field(
        demo,
        "campus",
        name="times",
        label="发生时段",
        kind="multichoice",
        choices=["上学", "放学", "夜间"],
        required=True,
    )
    return entry_token(demo.pk, "校园")


def valid(**overrides) -> dict:
    data = {
        "description": "校门口的护栏倒了。",
        "school": "新河镇中心小学",  # text, required, max 100
        "issue_type": "设施安全",  # choice, required
        "notes": "靠近东门",
        "pupils": "12",
        "cost": "99.5",
        "seen_on": timezone.localdate().isoformat(),
        "times": ["上学", "放学"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_every_kind_is_stored_normalised(client, campus):
    response = client.post(f"/c/{campus}/", valid(reporter_phone="0086 138-1234-5678"))
    assert response.status_code == 302, response.content.decode()
    from services.intake.models import Case

    with scopes_disabled():
        case = Case.objects.get()
    assert case.reporter_phone == "+8613812345678"
    assert case.extra == {
        "school": "新河镇中心小学",
        "issue_type": "设施安全",
        "notes": "靠近东门",
        "pupils": 12,
        "cost": "99.50",
        "seen_on": timezone.localdate().isoformat(),
        "times": ["上学", "放学"],
    }


BAD_VALUES = [
    # (field, value, words the message must contain)
    ("school", None, "请填写“学校名称”"),  # required text missing
    ("school", "校" * 101, "100"),  # text too long
    ("notes", "长" * 21, "20"),  # textarea too long
    ("issue_type", "不存在的类型", "选择一个有效的选项"),  # choice outside the list
    ("issue_type", "", "请填写“问题类型”"),  # required choice missing
    ("pupils", "十二", "整数"),  # integer: not a number
    ("pupils", "0", "1"),  # integer below the minimum
    ("pupils", "51", "50"),  # integer above the maximum
    ("pupils", "3.5", "整数"),  # integer: a fraction
    ("cost", "abc", "数字"),  # decimal: not a number
    ("cost", "0.4", "0.5"),  # decimal below the minimum
    ("cost", "1000.01", "1000"),  # decimal above the maximum
    ("cost", "1.234", "2"),  # decimal: too many places
    ("seen_on", "2026-02-30", "日期"),  # date: no such day
    ("seen_on", "yesterday", "日期"),  # date: not a date
    ("seen_on", "future", "不能晚于"),  # date after today
    ("seen_on", "long-ago", "不能早于"),  # date before the window
    ("times", ["半夜三更"], "选择一个有效的选项"),  # multichoice outside the list
    ("times", [], "请填写“发生时段”"),  # required multichoice empty
    ("reporter_phone", "12345", "请输入有效的手机号码"),
    ("description", "", "请描述您遇到的问题"),
]


def with_bad(field: str, value) -> dict:
    """A valid submission with one field made bad (None: left out)."""
    data = valid()
    if value is None:
        data.pop(field)
    elif value == "future":
        data[field] = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    elif value == "long-ago":
        data[field] = (timezone.localdate() - dt.timedelta(days=31)).isoformat()
    else:
        data[field] = value
    return data


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_bad_value_is_refused_next_to_its_field_and_nothing_is_stored(
    client, campus, field, value, message
):
    before = db_snapshot()

    response = client.post(f"/c/{campus}/", with_bad(field, value))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in e for e in errors[field]), errors[field]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html, "the message is rendered next to its field"
    assert db_snapshot() == before


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_the_api_refuses_the_same_values_with_the_same_messages(
    client, campus, field, value, message
):
    before = db_snapshot()

    response = client.post(
        f"/api/v1/entry-points/{campus}/cases/",
        with_bad(field, value),
        content_type="application/json",
    )

    assert response.status_code == 400
    body = response.json()
    assert any(message in e for e in body["errors"][field]), body
    assert db_snapshot() == before


def test_unknown_fields_are_refused_on_every_channel(client, campus, user_named):
    before = db_snapshot()
    page = client.post(f"/c/{campus}/", valid(salary="1"))
    api = client.post(
        f"/api/v1/entry-points/{campus}/cases/", valid(salary="1"), content_type="application/json"
    )
    client.force_login(user_named("xinhe_desk"))
    desk = client.post("/desk/new/campus/", valid(salary="1"))

    assert page.status_code == api.status_code == desk.status_code == 400
    assert "未知字段“salary”" in page.content.decode()
    assert "未知字段“salary”" in api.json()["errors"]["non_field_errors"][0]
    assert "未知字段“salary”" in desk.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("declaration", "field", "message"),
    [
        ({"name": "description", "kind": "text"}, "name", "保留字段"),
        ({"name": "kind_a", "kind": "choice", "choices": []}, "choices", "至少一个选项"),
        ({"name": "kind_b", "kind": "choice", "choices": ["甲", "甲"]}, "choices", "重复"),
        ({"name": "kind_c", "kind": "text", "choices": ["甲"]}, "choices", "只有单选"),
        (
            {"name": "kind_d", "kind": "integer", "min_value": 5, "max_value": 1},
            "max_value",
            "不能小于",
        ),
        ({"name": "kind_e", "kind": "integer", "min_value": "1.5"}, "min_value", "整数"),
        ({"name": "kind_f", "kind": "text", "max_value": 3}, "min_value", "只有整数"),
    ],
)
def test_a_declaration_the_form_could_not_honour_is_refused(demo, declaration, field, message):
    with pytest.raises(ValidationError) as refused:
        add_field(demo, "campus", label="测试", **declaration)
    assert any(message in m for m in refused.value.message_dict[field]), refused.value


def test_administrator_edits_fields_in_the_admin_with_options_one_per_line(
    client, demo, user_named
):
    from services.intake.models import Scenario

    with scopes_disabled():
        scenario = Scenario.objects.get(tenant=demo, code="campus")
        fields = list(scenario.fields.all())
    client.force_login(user_named("admin"))
    url = f"/admin/intake/scenario/{scenario.pk}/change/"
    assert client.get(url).status_code == 200
    data = {
        "tenant": demo.pk,
        "code": scenario.code,
        "name": scenario.name,
        "intro": scenario.intro,
        "active": "on",
        "max_photos": 3,
        "promise_days": 5,
        "fields-TOTAL_FORMS": len(fields) + 1,
        "fields-INITIAL_FORMS": len(fields),
        "fields-MIN_NUM_FORMS": 0,
        "fields-MAX_NUM_FORMS": 1000,
    }
    for i, f in enumerate(fields):
        data.update(
            {
                f"fields-{i}-id": f.pk,
                f"fields-{i}-scenario": scenario.pk,
                f"fields-{i}-order": f.order,
                f"fields-{i}-name": f.name,
                f"fields-{i}-label": f.label,
                f"fields-{i}-kind": f.kind,
                f"fields-{i}-required": "on" if f.required else "",
                f"fields-{i}-choices_text": "\n".join(f.choices),
                f"fields-{i}-max_length": f.max_length,
            }
        )
    new = len(fields)
    data.update(
        {
            f"fields-{new}-scenario": scenario.pk,
            f"fields-{new}-order": 9,
            f"fields-{new}-name": "grade",
            f"fields-{new}-label": "年级",
            f"fields-{new}-kind": "choice",
            f"fields-{new}-choices_text": "",
            f"fields-{new}-max_length": 200,
        }
    )
    refused = client.post(url, data)
    assert refused.status_code == 200, "an option-less choice field is refused"
    assert "至少一个选项" in refused.content.decode()

    data[f"fields-{new}-choices_text"] = "一年级\n 二年级 \n\n三年级"
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    with scopes_disabled():
        grade = scenario.fields.get(name="grade")
    assert grade.choices == ["一年级", "二年级", "三年级"]
