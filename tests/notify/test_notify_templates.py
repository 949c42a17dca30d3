"""SMS templates (短信模板) per tenant and language: Chinese defaults, a tenant's own text,
checked placeholders, and the admin's preview."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.notify import api as notify
from services.notify.kinds import PLACEHOLDERS, Kind
from services.notify.models import NotifySettings, SmsTemplate
from services.notify.texts import DEFAULTS, check_template, render, sample_values
from tests.builders import resolve, submit
from tests.helpers import sms_to

REQUIRED_CHINESE_DEFAULTS = [
    Kind.RECEIPT,
    Kind.ASSIGNED,
    Kind.RESULT,
    Kind.SURVEY,
    Kind.SURVEY_REMINDER,
    Kind.THANKS,
]


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_default_is_a_valid_template_in_both_languages(kind, language):
    text = DEFAULTS[kind][language]
    check_template(kind, text)
    filled = text.format_map(sample_values(language))
    assert "{" not in filled


def test_the_chinese_defaults_say_what_each_message_is_for():
    zh = {kind: DEFAULTS[kind]["zh-hans"] for kind in REQUIRED_CHINESE_DEFAULTS}
    assert "{tracking_number}" in zh[Kind.RECEIPT] and "已受理" in zh[Kind.RECEIPT]
    assert "{department}" in zh[Kind.ASSIGNED]
    assert "{result}" in zh[Kind.RESULT] and "已办结" in zh[Kind.RESULT]
    assert "{rating_menu}" in zh[Kind.SURVEY] and "{survey_url}" in zh[Kind.SURVEY]
    assert "1非常满意 2满意" in zh[Kind.SURVEY].format_map(sample_values("zh-hans"))
    assert "退订" in zh[Kind.SURVEY], "every survey says how to stop them"
    assert "{deadline}" in zh[Kind.SURVEY_REMINDER]
    assert "感谢" in zh[Kind.THANKS]


@pytest.mark.parametrize(
    "text",
    [
        "{tenant}：编号 {tracking_numbr}",  # a typo
        "{tenant.__class__}",  # attribute access
        "{tracking_number!r}",  # conversion
        "{tracking_number:>20}",  # format spec
        "编号 {tracking_number",  # unbalanced
        "   ",
    ],
)
def test_a_bad_template_is_refused_with_a_chinese_reason(text):
    template = SmsTemplate(kind=Kind.RECEIPT, language="zh-hans", text=text)
    with pytest.raises(ValidationError) as refused:
        template.clean()
    message = " ".join(refused.value.message_dict["text"])
    assert any(word in message for word in ("占位符", "格式", "不能为空")), message


@pytest.mark.django_db(transaction=True)
def test_a_tenants_own_template_is_used_for_it_alone(demo, drain, sms_outbox):
    other = directory.create_tenant("台州市", "taizhou", sms_number="+8610690099999")
    with scopes_disabled():
        SmsTemplate.objects.create(
            tenant=demo,
            kind=Kind.RECEIPT,
            language="zh-hans",
            text="【{tenant}】已收到，编号{tracking_number}，请留意短信。{status_url}",
        )
    case = submit(demo)
    drain("notify")
    assert sms_to(sms_outbox)[-1].startswith(
        f"【温岭市（演示）】已收到，编号{case.tracking_number}"
    )
    default = render(other.pk, Kind.RECEIPT, "zh-hans", tracking_number="X", status_url="U")
    assert default.startswith("【台州市】您反映的问题已受理")


@pytest.mark.django_db(transaction=True)
def test_english_when_the_tenant_writes_in_english(demo, drain, sms_outbox, user_named):
    with scopes_disabled():
        NotifySettings.objects.create(tenant=demo, language="en")
    case = submit(demo)
    resolve(case, user_named, "Wages paid in full.")
    drain("notify")
    receipt, survey = sms_to(sms_outbox)[-2:]
    assert receipt.startswith("[温岭市（演示）] Your report has been received")
    assert "Wages paid in full." in survey and "1 very satisfied" in survey


@pytest.mark.django_db
def test_a_template_broken_after_it_was_saved_falls_back_to_the_default(demo):
    with scopes_disabled():
        SmsTemplate.objects.create(
            tenant=demo, kind=Kind.THANKS, language="zh-hans", text="谢谢 {tenant}"
        )
        SmsTemplate.objects.filter(tenant=demo).update(text="谢谢 {gone}")
    assert render(demo.pk, Kind.THANKS, "zh-hans", tracking_number="1").endswith(
        "感谢您的评价，我们将持续改进。"
    )


@pytest.mark.django_db
def test_install_default_templates_gives_an_editable_copy_of_each_once(demo):
    expected = sum(len(texts) for texts in DEFAULTS.values())
    assert notify.install_default_templates(demo.pk) == expected
    assert notify.install_default_templates(demo.pk) == 0
    with scopes_disabled():
        assert SmsTemplate.objects.filter(tenant=demo).count() == expected
        assert set(SmsTemplate.objects.values_list("kind", flat=True)) == set(PLACEHOLDERS)


@pytest.mark.django_db
def test_the_admin_previews_a_template_with_sample_values(demo, admin_client):
    with scopes_disabled():
        template = SmsTemplate.objects.create(
            tenant=demo, kind=Kind.SURVEY, language="zh-hans", text=DEFAULTS[Kind.SURVEY]["zh-hans"]
        )
    page = admin_client.get(f"/admin/notify/smstemplate/{template.pk}/change/").content.decode()
    assert "预览（示例数据）" in page
    assert "已督促企业结清全部工资。" in page and "261124-03817" in page
    assert "条短信计费" in page

    added = admin_client.get("/admin/notify/smstemplate/add/?kind=survey_reminder").content
    assert "尚未收到您的评价" in added.decode(), "a new template starts from the default"

    refused = admin_client.post(
        f"/admin/notify/smstemplate/{template.pk}/change/",
        {"tenant": demo.pk, "kind": Kind.SURVEY, "language": "zh-hans", "text": "{secret}"},
    )
    assert refused.status_code == 200
    assert "不能使用占位符 {secret}" in refused.content.decode()
    with scopes_disabled():
        template.refresh_from_db()
    assert template.text == DEFAULTS[Kind.SURVEY]["zh-hans"]
