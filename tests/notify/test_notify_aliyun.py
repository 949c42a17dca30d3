"""Alibaba Cloud SMS end to end: the tenant's provider chosen from the registry, receipts and
surveys sent as approved template + parameters by the real SDK (against a fake HTTP layer),
Aliyun's pushed SmsReport / SmsUp batches authenticated by the secret in their URL and handled
once, and the outbox's guarantees (claim before send, look up before resending, quiet hours,
opt-out) with Aliyun as with Twilio."""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.directory.models import Staff
from services.intake.models import Case
from services.notify import outbox
from services.notify.alerts import alert_staff
from services.notify.aliyun import PARAM_MAX, template_variables, variable_names
from services.notify.backends import MemoryBackend, get_backend
from services.notify.callbacks import aliyun_callback_urls
from services.notify.credentials import CredentialsMissing
from services.notify.kinds import Kind
from services.notify.models import (
    InboundMessage,
    Message,
    NotifySettings,
    ProviderTemplate,
    StaffNotification,
    Survey,
)
from services.notify.optout import is_opted_out
from services.notify.progress import send_receipt
from tests.builders import refreshed_case, sign_for_and_resolve, submit_by_phone_form
from tests.fake_aliyun import FakeAliyun, push
from tests.fake_twilio import WorkerKilled

pytestmark = pytest.mark.django_db(transaction=True)

SIGN = "温岭共治码"
CITIZEN = "13812345678"  # as Aliyun writes mainland numbers
TEMPLATES = {kind: f"SMS_{400000 + i}" for i, kind in enumerate(Kind.values)}


def use_aliyun(tenant, **settings) -> dict[str, str]:
    """The tenant on Aliyun with an approved template for every kind; its callback paths."""
    with scopes_disabled():
        NotifySettings.objects.update_or_create(
            tenant=tenant, defaults={"sms_backend": "aliyun", "sms_sign_name": SIGN, **settings}
        )
        for kind, code in TEMPLATES.items():
            ProviderTemplate.objects.create(tenant=tenant, kind=kind, template_code=code)
    return {name: urlparse(url).path for name, url in aliyun_callback_urls(tenant.pk).items()}


@pytest.fixture
def aliyun_demo(demo, fake_aliyun, settings):
    # The deployment default stays Twilio's test backend: the tenant's own choice decides.
    settings.SMS_BACKEND = "memory"
    return demo, use_aliyun(demo)


def _template(kind: str) -> str:
    return TEMPLATES[kind]


def _message(purpose: str) -> Message:
    with scopes_disabled():
        return Message.objects.get(purpose=purpose)


def test_receipt_and_survey_go_out_as_template_and_parameters(
    client, aliyun_demo, fake_aliyun, drain, user_named, sms_outbox
):
    demo, _urls = aliyun_demo
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    [receipt] = fake_aliyun.messages
    assert receipt["template_code"] == _template(Kind.RECEIPT)
    assert receipt["sign_name"] == SIGN
    assert receipt["phone"] == CITIZEN
    assert receipt["params"] == {
        "tracking_number": case.tracking_number,
        "status_key": case.access_key,  # the template holds https://…/s/${status_key}/
    }
    assert receipt["out_id"] == str(_message(Kind.RECEIPT).pk)
    assert _message(Kind.RECEIPT).state == "sent"
    assert _message(Kind.RECEIPT).provider_id == receipt["biz_id"]
    assert sms_outbox == [], "the tenant's provider, not the deployment default"

    sign_for_and_resolve(client, user_named, case, "已督促企业结清全部工资。")
    drain("notify")
    survey_sms = fake_aliyun.messages[-1]
    with scopes_disabled():
        survey = Survey.objects.get(case_id=case.pk)
    assert survey_sms["template_code"] == _template(Kind.SURVEY)
    assert survey_sms["params"] == {
        "tracking_number": case.tracking_number,
        "result": "已督促企业结清全部工资。",
        "survey_key": survey.token,
    }


@pytest.mark.parametrize(
    ("reply", "rating", "state", "answer"),
    [
        ("1", 1, "closed", Kind.THANKS),
        ("５", 5, "in_progress", Kind.REOPENED),
        ("不满意", 4, "in_progress", Kind.REOPENED),
    ],
)
def test_a_reply_pushed_twice_answers_the_survey_once(
    client, aliyun_demo, fake_aliyun, drain, user_named, reply, rating, state, answer
):
    demo, urls = aliyun_demo
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    sign_for_and_resolve(client, user_named, case, "已处理。")
    drain("notify")

    batch = [FakeAliyun.reply(CITIZEN, reply, sequence_id=90001)]
    for _ in range(2):  # Aliyun pushes a batch again when it missed our answer
        response = push(client, urls["up"], batch)
        assert response.status_code == 200
        assert response.json() == {"code": 0, "msg": "成功"}
    drain("intake", "notify")

    case = refreshed_case(case)
    assert (case.state, case.rating) == (state, rating)
    with scopes_disabled():
        assert Survey.objects.get(case_id=case.pk, round=0).answered_via == "sms"
        assert InboundMessage.objects.count() == 1
        assert InboundMessage.objects.get().sender == "+8613812345678"
    answers = [m for m in fake_aliyun.messages if m["template_code"] == _template(answer)]
    assert len(answers) == 1
    assert answers[0]["params"] == {"tracking_number": case.tracking_number}


def test_a_delivery_report_marks_the_message_delivered_or_undelivered(
    client, aliyun_demo, fake_aliyun, drain
):
    demo, urls = aliyun_demo
    submit_by_phone_form(client, demo)
    drain("routing", "notify")
    [held] = fake_aliyun.messages
    report = FakeAliyun.report(held)
    assert push(client, urls["report"], [report]).json() == {"code": 0, "msg": "成功"}
    assert push(client, urls["report"], [report]).status_code == 200  # pushed again
    assert _message(Kind.RECEIPT).state == "delivered"

    failed = {**FakeAliyun.report(held, success=False, err_code="MN:0001"), "out_id": ""}
    push(client, urls["report"], [failed])
    message = _message(Kind.RECEIPT)
    assert message.state == "delivered", "a report never moves a message back"


def test_an_undelivered_report_keeps_aliyuns_reason(client, aliyun_demo, fake_aliyun, drain):
    demo, urls = aliyun_demo
    submit_by_phone_form(client, demo)
    drain("routing", "notify")
    [held] = fake_aliyun.messages
    push(client, urls["report"], [FakeAliyun.report(held, success=False, err_code="MN:0001")])
    message = _message(Kind.RECEIPT)
    assert (message.state, message.error_code) == ("undelivered", "MN:0001")
    assert "用户停机" in message.last_error


def test_a_reply_from_an_unknown_number_is_stored_and_ignored(
    client, aliyun_demo, fake_aliyun, drain
):
    demo, urls = aliyun_demo
    push(client, urls["up"], [FakeAliyun.reply("13900001111", "1", sequence_id=7)])
    drain("intake", "notify")
    with scopes_disabled():
        stored = InboundMessage.objects.get()
    assert (stored.sender, stored.body, stored.outcome) == ("+8613900001111", "1", "no_survey")
    assert stored.tenant_id == demo.pk
    assert fake_aliyun.messages == [], "no answer to a number with nothing to answer"


def test_pushes_need_the_tenants_secret(client, aliyun_demo, fake_aliyun, drain, user_named):
    demo, urls = aliyun_demo
    other = directory.create_tenant("玉环市", "yuhuan")
    other_urls = use_aliyun(other)
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    [held] = fake_aliyun.messages
    secret = urls["up"].split("/")[-3]
    wrong = urls["up"].replace(secret, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert push(client, wrong, [FakeAliyun.reply(CITIZEN, "退订", 1)]).status_code == 403
    # Another tenant's valid secret with this tenant's id is no key either.
    crossed = other_urls["up"].replace(f"/{other.pk}/", f"/{demo.pk}/")
    assert push(client, crossed, [FakeAliyun.reply(CITIZEN, "退订", 2)]).status_code == 403
    assert client.get(urls["up"]).status_code == 405
    # Another tenant's own URL cannot report on this tenant's messages.
    push(client, other_urls["report"], [FakeAliyun.report(held)])
    assert _message(Kind.RECEIPT).state == "sent"
    with scopes_disabled():
        assert InboundMessage.objects.count() == 0
    assert not is_opted_out(demo.pk, "+8613812345678")
    assert refreshed_case(case).state == "assigned"
    bad = client.post(urls["up"], "not json", content_type="application/json")
    assert bad.status_code == 400


def test_opting_out_by_reply_is_confirmed_and_stops_the_survey(
    client, aliyun_demo, fake_aliyun, drain, user_named
):
    demo, urls = aliyun_demo
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    push(client, urls["up"], [FakeAliyun.reply(CITIZEN, "退订", sequence_id=5)])
    drain("notify")
    assert is_opted_out(demo.pk, "+8613812345678")
    confirmation = fake_aliyun.messages[-1]
    assert confirmation["template_code"] == _template(Kind.OPTED_OUT)
    assert confirmation["params"] == {"hotline": demo.hotline}

    sign_for_and_resolve(client, user_named, case, "已处理。")
    drain("notify")
    result = fake_aliyun.messages[-1]
    assert result["template_code"] == _template(Kind.RESULT), "the result, not the survey"
    kinds = {m["template_code"] for m in fake_aliyun.messages}
    assert _template(Kind.SURVEY) not in kinds


def test_an_unclear_send_is_looked_up_by_out_id_before_resending(
    client, aliyun_demo, fake_aliyun, drain
):
    demo, _urls = aliyun_demo
    fake_aliyun.faults = ["accept_then_read_timeout"]
    submit_by_phone_form(client, demo)
    drain("routing", "notify")
    message = _message(Kind.RECEIPT)
    assert (message.state, message.needs_lookup) == ("queued", True)
    with scopes_disabled():
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox.deliver_message.call(message.pk)
    message = _message(Kind.RECEIPT)
    assert message.state == "sent"
    assert fake_aliyun.send_requests == 1, "found by QuerySendDetails: not sent again"
    assert fake_aliyun.query_requests >= 1
    assert len(fake_aliyun.messages) == 1


def test_a_worker_killed_mid_send_is_settled_by_lookup(client, aliyun_demo, fake_aliyun, drain):
    demo, _urls = aliyun_demo
    fake_aliyun.faults = ["accept_then_die"]
    case = submit_by_phone_form(client, demo)
    send_receipt(case.pk)  # what the notify worker does on case.submitted, before it dies
    with pytest.raises(WorkerKilled):
        outbox.deliver_message.call(_message(Kind.RECEIPT).pk)
    message = _message(Kind.RECEIPT)
    assert message.state == "sending", "claimed before the provider was called"
    assert outbox.reconcile(message) == "sent"
    assert fake_aliyun.send_requests == 1 and len(fake_aliyun.messages) == 1


@pytest.mark.parametrize(
    ("fault", "state", "looked_up"),
    [
        ("flow_control", "queued", False),  # Aliyun took nothing: retry without looking
        ("system_error", "queued", True),  # unclear: look before the retry
        (503, "queued", True),
        ("connect_timeout", "queued", False),
        ("invalid_number", "failed", False),
    ],
)
def test_aliyuns_refusals_are_retried_or_final_as_they_mean(
    client, aliyun_demo, fake_aliyun, drain, fault, state, looked_up
):
    demo, _urls = aliyun_demo
    fake_aliyun.faults = [fault]
    submit_by_phone_form(client, demo)
    drain("routing", "notify")
    message = _message(Kind.RECEIPT)
    assert (message.state, message.needs_lookup) == (state, looked_up)
    assert fake_aliyun.messages == []
    if state == "failed":
        assert message.error_code == "isv.MOBILE_NUMBER_ILLEGAL"
        assert "收件号码无效" in message.last_error


def test_a_kind_without_an_approved_template_fails_saying_so(
    client, aliyun_demo, fake_aliyun, drain
):
    demo, _urls = aliyun_demo
    with scopes_disabled():
        ProviderTemplate.objects.filter(kind=Kind.RECEIPT).delete()
    submit_by_phone_form(client, demo)
    drain("routing", "notify")
    message = _message(Kind.RECEIPT)
    assert (message.state, message.error_code) == ("failed", "no_template")
    assert "报备" in message.last_error
    assert fake_aliyun.send_requests == 0


def test_quiet_hours_hold_a_survey_for_aliyun_too(
    client, aliyun_demo, fake_aliyun, drain, user_named, time_machine
):
    demo, _urls = aliyun_demo
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    time_machine.move_to(timezone.now().replace(hour=15, minute=0))  # 23:00 in Beijing
    with scopes_disabled():
        NotifySettings.objects.filter(tenant=demo).update(
            quiet_start="22:00", quiet_end="08:00", time_zone="Asia/Shanghai"
        )
    sign_for_and_resolve(client, user_named, case, "已处理。")
    drain("notify")
    assert [m["template_code"] for m in fake_aliyun.messages] == [_template(Kind.RECEIPT)]
    assert _message(Kind.SURVEY).state == "queued"


def test_variables_are_capped_and_links_are_keys():
    long_result = (
        "经核查，该企业已于本月十五日前结清全部拖欠工资共计三万六千元，并承诺今后按时足额发放。"
    )
    variables = template_variables(
        Kind.SURVEY,
        {
            "tracking_number": "261124-03817",
            "result": long_result,
            "survey_url": "https://gz.example.gov.cn/v/Xy9zW7vU5tS/",
            "rating_menu": "1非常满意 …",
        },
    )
    assert variables["survey_key"] == "Xy9zW7vU5tS"
    assert len(variables["result"]) == PARAM_MAX and variables["result"].endswith("…")
    assert "rating_menu" not in variables
    assert variable_names(Kind.RECEIPT) == ["status_key", "tracking_number"]
    assert variable_names(Kind.OPTED_OUT) == ["hotline"]
    assert all(len(name) <= 20 for kind in Kind.values for name in variable_names(kind))


def test_the_registry_picks_the_tenants_provider(aliyun_demo, settings):
    demo, _urls = aliyun_demo
    assert type(get_backend(demo.pk)).__name__ == "AliyunBackend"
    assert get_backend(demo.pk).sender == SIGN
    with scopes_disabled():
        NotifySettings.objects.filter(tenant=demo).update(sms_backend="")
    assert isinstance(get_backend(demo.pk), MemoryBackend)  # the deployment's SMS_BACKEND
    settings.SMS_BACKEND = "pigeon"
    with pytest.raises(ValueError, match="pigeon"):
        get_backend(demo.pk)
    with scopes_disabled(), pytest.raises(ValidationError):
        NotifySettings(tenant=demo, sms_backend="pigeon").full_clean()


def test_the_callback_urls_are_for_those_who_configure_sms(client, aliyun_demo, user_named):
    demo, urls = aliyun_demo
    with scopes_disabled():
        prefs = NotifySettings.objects.get(tenant=demo)
    page = f"/admin/notify/notifysettings/{prefs.pk}/change/"
    client.force_login(user_named("admin"))
    shown = client.get(page).content.decode()
    assert urls["up"] in shown and urls["report"] in shown
    client.force_login(user_named("dispatcher"))
    seen = client.get(page)
    assert seen.status_code == 200
    assert urls["up"] not in seen.content.decode(), "a reader could forge replies with it"


def test_a_case_with_a_long_result_still_fits(client, aliyun_demo, fake_aliyun, drain, user_named):
    demo, _urls = aliyun_demo
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    sign_for_and_resolve(client, user_named, case, "经核查" * 30)
    drain("notify")
    params = fake_aliyun.messages[-1]["params"]
    assert len(params["result"]) <= PARAM_MAX
    assert json.dumps(params, ensure_ascii=False)


def test_a_staff_alert_goes_as_its_template(aliyun_demo, fake_aliyun, drain, client):
    demo, _urls = aliyun_demo
    case = submit_by_phone_form(client, demo)
    drain("routing", "notify")
    with scopes_disabled():
        Staff.objects.filter(user__username="dispatcher").update(phone="+8613900002222")
        NotifySettings.objects.filter(tenant=demo).update(staff_sms_alerts=True)
        Case.objects.filter(pk=case.pk).update(priority=1)  # urgent: no waiting for morning
    assert alert_staff(StaffNotification.Kind.ESCALATED, case.pk) >= 1
    drain("notify")
    [staff_sms] = fake_aliyun.sent_to("13900002222")
    assert staff_sms["template_code"] == _template(Kind.STAFF_ESCALATED)
    assert staff_sms["params"] == {
        "tracking_number": case.tracking_number,
        "department": "市人力社保局",
    }


def test_the_readme_lists_each_templates_variables():
    """What a county submits for approval must be what notify sends."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    table = readme.split("| kind (报备短信模板) | variables |", 1)[1].split("\n2. ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in table.splitlines() if "${" in line]
    listed = {
        kind: set(re.findall(r"\$\{(\w+)\}", variables))
        for kinds, variables in rows
        for kind in re.findall(r"[a-z_]+", kinds)
    }
    assert listed == {kind: set(variable_names(kind)) for kind in Kind.values}


def test_a_tenant_administrator_sets_up_aliyun_in_the_admin(client, demo, user_named):
    client.force_login(user_named("admin"))
    added = client.post(
        "/admin/notify/providertemplate/add/",
        {"tenant": demo.pk, "kind": Kind.RECEIPT, "template_code": "SMS_476380012"},
    )
    assert added.status_code == 302, added.content.decode()
    with scopes_disabled():
        template = ProviderTemplate.objects.get(tenant=demo)
    page = client.get(f"/admin/notify/providertemplate/{template.pk}/change/").content.decode()
    assert "${status_key}" in page and "${tracking_number}" in page

    with scopes_disabled():
        prefs, _ = NotifySettings.objects.get_or_create(tenant=demo)
    form = {
        "tenant": demo.pk,
        "language": "zh-hans",
        "time_zone": "Asia/Shanghai",
        "survey_window_days": 3,
        "survey_reminder_after_hours": 24,
        "sms_sign_name": SIGN,
        "aliyun_credentials_ref": "WENLING",
    }
    url = f"/admin/notify/notifysettings/{prefs.pk}/change/"
    refused = client.post(url, {**form, "sms_backend": "pigeon"})
    assert refused.status_code == 200 and "未知的短信服务商" in refused.content.decode()
    assert client.post(url, {**form, "sms_backend": "aliyun"}).status_code == 302
    with pytest.raises(CredentialsMissing, match="ALIYUN_ACCESS_KEY_ID_WENLING"):
        get_backend(demo.pk)  # the AccessKey comes from the environment, which lacks it


def test_a_leaked_callback_url_is_replaced_by_a_new_secret(client, aliyun_demo, user_named):
    demo, urls = aliyun_demo
    with scopes_disabled():
        prefs = NotifySettings.objects.get(tenant=demo)
    client.force_login(user_named("admin"))
    done = client.post(
        "/admin/notify/notifysettings/",
        {"action": "new_callback_secret", "_selected_action": [prefs.pk]},
    )
    assert done.status_code == 302
    reply = [FakeAliyun.reply("13900001111", "1", sequence_id=1)]
    assert push(client, urls["up"], reply).status_code == 403, "the old URL stopped working"
    new = {name: urlparse(url).path for name, url in aliyun_callback_urls(demo.pk).items()}
    assert new["up"] != urls["up"]
    assert push(client, new["up"], reply).status_code == 200
