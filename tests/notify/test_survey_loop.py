"""满意度回访 end to end: a resolved case → the survey SMS → the citizen's signed reply (or the
web page, or silence) → intake closes, reopens or escalates. Replies go through the webhook,
signed with twilio's RequestValidator algorithm."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from twilio.request_validator import RequestValidator

from services.directory import api as directory
from services.intake import api as intake
from services.notify import api as notify
from services.notify.models import InboundMessage, Message, NotifySettings, OptOut, Survey
from tests.builders import resolve, resolved_case, submit
from tests.helpers import (
    CITIZEN,
    TENANT_NUMBER,
    TWILIO_TEST_TOKEN,
    case_now,
    post_signed,
    reply,
    run_scheduler_once,
    sms_to,
    survey_of,
    timeline_notes,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_satisfied_reply_closes_the_case_and_thanks_once(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    survey_sms = sms_to(sms_outbox)[-1]
    token = survey_of(case).token
    assert "已督促企业结清全部工资" in survey_sms and "1非常满意" in survey_sms
    assert f"http://testserver/v/{token}/" in survey_sms, "the personal one-tap link"

    assert reply(client, "1").status_code == 200
    drain("intake", "notify")
    assert (case_now(case).state, case_now(case).rating) == ("closed", 1)
    assert sms_to(sms_outbox)[-1].endswith("感谢您的评价，我们将持续改进。")
    assert survey_of(case).answered_via == "sms"


def test_several_open_surveys_the_reply_answers_the_most_recent(
    client, demo, drain, sms_outbox, user_named
):
    older = resolved_case(demo, user_named, drain)
    newer = resolved_case(demo, user_named, drain)
    reply(client, "2")
    drain("intake", "notify")
    assert case_now(newer).state == "closed"
    assert case_now(older).state == "resolved"
    assert survey_of(older).state == "open"


def test_a_reply_naming_a_tracking_number_answers_that_survey(
    client, demo, drain, sms_outbox, user_named
):
    older = resolved_case(demo, user_named, drain)
    newer = resolved_case(demo, user_named, drain)
    number = older.tracking_number.replace("-", "－")  # typed on a full-width keyboard
    reply(client, f"编号{number} 不满意，噪音还在")
    drain("intake", "notify")
    assert (case_now(older).state, case_now(older).reopen_count) == ("in_progress", 1)
    assert survey_of(older).comment == "噪音还在"
    assert any("噪音还在" in note for action, note in timeline_notes(older) if action == "reopen")
    assert case_now(newer).state == "resolved", "the more recent survey was not meant"
    assert "将重新办理" in sms_to(sms_outbox)[-1]


def test_an_unreadable_reply_gets_one_help_message_not_a_loop(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    before = len(sms_outbox)
    reply(client, "你们什么时候来处理？")
    reply(client, "收到请回复")  # e.g. the phone's auto-responder
    drain("notify")
    help_sms = sms_outbox[before:]
    assert len(help_sms) == 1
    assert "未能识别您的回复" in help_sms[0]["body"]
    assert survey_of(case).token in help_sms[0]["body"]

    reply(client, "3")
    drain("intake", "notify")
    assert (case_now(case).state, case_now(case).rating) == ("closed", 3)
    with scopes_disabled():
        outcomes = list(InboundMessage.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["unreadable", "unreadable", "rated"]


def test_a_message_from_someone_with_no_open_survey_gets_no_answer(client, demo, drain, sms_outbox):
    assert reply(client, "1", sender="+8613900000000").status_code == 200
    drain("intake", "notify")
    assert sms_outbox == []
    with scopes_disabled():
        assert InboundMessage.objects.get().outcome == "no_survey"


def test_forged_misdirected_and_replayed_replies_change_nothing(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    params = {"MessageSid": "SMforged1", "From": CITIZEN, "To": TENANT_NUMBER, "Body": "5"}
    assert post_signed(client, "/sms/inbound/", params, token="guessed").status_code == 403
    assert client.post("/sms/inbound/", params).status_code == 403
    for_other_url = RequestValidator(TWILIO_TEST_TOKEN).compute_signature(
        "http://testserver/sms/status/", params
    )
    assert post_signed(client, "/sms/inbound/", params, signature=for_other_url).status_code == 403
    tampered = RequestValidator(TWILIO_TEST_TOKEN).compute_signature(
        "http://testserver/sms/inbound/", {**params, "Body": "1"}
    )
    assert post_signed(client, "/sms/inbound/", params, signature=tampered).status_code == 403
    drain("intake", "notify")
    assert case_now(case).state == "resolved"
    with scopes_disabled():
        assert not InboundMessage.objects.exists()

    for _replay in range(3):
        assert reply(client, "2", sid="SMreal0001").status_code == 200
    drain("intake", "notify")
    assert (case_now(case).state, case_now(case).rating) == ("closed", 2)
    assert len([b for b in sms_to(sms_outbox) if "感谢" in b]) == 1
    with scopes_disabled():
        assert InboundMessage.objects.count() == 1


def test_a_reply_to_another_tenants_number_leaves_this_tenants_survey_alone(
    client, demo, drain, sms_outbox, user_named
):
    directory.create_tenant("台州市", "taizhou", sms_number="+8610690099999")
    case = resolved_case(demo, user_named, drain)
    reply(client, "5", to="+8610690099999")
    drain("intake", "notify")
    assert case_now(case).state == "resolved"
    assert survey_of(case).state == "open"


@pytest.mark.parametrize("word", ["退订", "STOP", "td"])
def test_opt_out_stops_the_survey_but_not_receipts_and_results(
    client, demo, drain, sms_outbox, user_named, word
):
    first = resolved_case(demo, user_named, drain)
    reply(client, word)
    drain("notify")
    with scopes_disabled():
        assert OptOut.objects.filter(tenant=demo, phone=CITIZEN).exists()
    assert "您已退订" in sms_to(sms_outbox)[-1], "the confirmation is essential"
    reply(client, word)  # a second opt-out is not confirmed again
    drain("notify")
    assert sum("您已退订" in b for b in sms_to(sms_outbox)) == 1

    before = len(sms_outbox)
    second = submit(demo)
    drain("notify")
    assert second.tracking_number in sms_to(sms_outbox)[-1], "the receipt still goes"
    resolve(second, user_named, "已处理完毕。")
    drain("notify")
    latest = sms_to(sms_outbox)[-1]
    assert "已处理完毕" in latest, "the result still goes"
    assert "1非常满意" not in latest and "/v/" not in latest, "but no survey"
    assert len(sms_outbox) - before == 2
    with scopes_disabled():
        suppressed = Message.objects.filter(state="suppressed")
        assert not suppressed.exists(), "the result was chosen instead of a suppressed survey"
    assert survey_of(second).state == "open", "a rating sent of their own accord still counts"

    # The reminder of the first survey is suppressed, not sent.
    with scopes_disabled():
        Survey.objects.filter(pk=survey_of(first).pk).update(remind_at=timezone.now())
    run_scheduler_once()
    drain("notify")
    assert len(sms_outbox) - before == 2
    with scopes_disabled():
        assert Message.objects.get(purpose="survey_reminder").state == "suppressed"

    reply(client, "订阅")
    drain("notify")
    with scopes_disabled():
        assert not OptOut.objects.filter(tenant=demo, phone=CITIZEN).exists()
    third = submit(demo)
    resolve(third, user_named)
    drain("notify")
    assert "1非常满意" in sms_to(sms_outbox)[-1], "surveys again after 订阅"


def test_no_answer_one_reminder_then_the_case_closes_as_no_response(
    client, demo, drain, sms_outbox, user_named, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    case = resolved_case(demo, user_named, drain)
    survey = survey_of(case)
    assert survey.expires_at - survey.created_at == timedelta(days=3), "the default window"
    before = len(sms_outbox)

    time_machine.shift(timedelta(hours=23))
    run_scheduler_once()
    drain("notify", "intake")
    assert len(sms_outbox) == before, "no reminder before 24 hours"

    time_machine.shift(timedelta(hours=2))
    for _pass in range(3):  # a restarted scheduler runs everything again: still one reminder
        run_scheduler_once()
        drain("notify", "intake")
    reminders = sms_outbox[before:]
    assert len(reminders) == 1
    assert "尚未收到您的评价" in reminders[0]["body"] and survey.token in reminders[0]["body"]
    assert case_now(case).state == "resolved"

    time_machine.shift(timedelta(days=2))
    run_scheduler_once()
    drain("notify", "intake")
    assert survey_of(case).state == "expired"
    assert case_now(case).state == "closed"
    assert case_now(case).rating is None
    assert timeline_notes(case)[-1][0] == "close"
    assert "未回复" in timeline_notes(case)[-1][1]

    reply(client, "1")  # too late: nothing is open any more
    drain("intake", "notify")
    assert case_now(case).rating is None
    assert len(sms_outbox) == before + 1


def test_the_survey_window_and_reminder_follow_the_tenants_settings(
    demo, drain, user_named, time_machine, sms_outbox
):
    time_machine.move_to(timezone.now(), tick=False)
    with scopes_disabled():
        NotifySettings.objects.create(
            tenant=demo,
            survey_window_days=1,
            survey_reminder_after_hours=48,
            quiet_start=None,
            quiet_end=None,
        )
    case = resolved_case(demo, user_named, drain)
    survey = survey_of(case)
    assert survey.expires_at - survey.created_at == timedelta(days=1)
    assert survey.remind_at is None, "a reminder after the window would never be sent"
    before = len(sms_outbox)
    time_machine.shift(timedelta(days=1, minutes=1))
    run_scheduler_once()
    drain("notify", "intake")
    assert case_now(case).state == "closed"
    assert len(sms_outbox) == before


def test_the_web_survey_shows_what_is_rated_and_asks_to_confirm(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    token = survey_of(case).token
    page = client.get(f"/v/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert case.tracking_number in html
    assert "已督促企业结清全部工资。" in html, "the result being rated"
    assert case.description in html and "欠薪" in html, "and what it answers"
    assert html.count('name="rating"') == 5 and "非常不满意" in html
    assert CITIZEN not in html and "+86138" not in html, "the page shows no phone number"

    missing = client.post(f"/v/{token}/", {"comment": "还是很吵"})
    assert missing.status_code == 400
    assert "请选择一个评价" in missing.content.decode()
    assert "还是很吵" in missing.content.decode(), "the comment is not lost"

    tapped = client.post(f"/v/{token}/", {"rating": "4", "comment": "晚上还是很吵"})
    assert tapped.status_code == 200
    assert survey_of(case).state == "open", "a tap alone records nothing"
    confirm = tapped.content.decode()
    assert '<strong id="chosen-rating">不满意</strong>' in confirm and "确认提交" in confirm
    back = client.post(f"/v/{token}/", {"rating": "4", "comment": "晚上还是很吵", "edit": "1"})
    assert 'value="4" checked' in back.content.decode() and "晚上还是很吵" in back.content.decode()
    assert survey_of(case).state == "open"

    answered = client.post(
        f"/v/{token}/", {"rating": "4", "comment": "晚上还是很吵", "confirm": "1"}
    )
    assert answered.status_code == 302 and answered["Location"] == f"/v/{token}/"
    drain("intake", "notify")
    assert (case_now(case).state, case_now(case).reopen_count) == ("in_progress", 1)
    assert any("晚上还是很吵" in note for _action, note in timeline_notes(case))
    assert survey_of(case).answered_via == "web"
    thanks_page = client.get(f"/v/{token}/").content.decode()
    assert "感谢您的评价" in thanks_page and "不满意" in thanks_page

    client.post(f"/v/{token}/", {"rating": "1", "confirm": "1"})  # a second answer: nothing
    reply(client, "1")  # nor does a later SMS: the survey is answered
    drain("intake", "notify")
    assert (case_now(case).state, survey_of(case).rating) == ("in_progress", 4)
    assert client.get("/v/not-a-token/").status_code == 404


def test_a_second_dissatisfaction_escalates_and_alerts_the_dispatchers(
    client, demo, drain, sms_outbox, user_named
):
    case = resolved_case(demo, user_named, drain)
    reply(client, "不满意")
    drain("intake", "notify")
    assert case_now(case).state == "in_progress"
    resolve(case, user_named, "已再次督促企业。")
    drain("notify")
    assert survey_of(case, round_=1).state == "open", "a reopened case is surveyed again"

    reply(client, "非常不满意")
    drain("intake", "notify")
    assert case_now(case).escalated
    assert "已提交指挥室督办" in sms_to(sms_outbox)[-1]
    dispatcher = user_named("dispatcher")
    [alert] = notify.unread_notifications(dispatcher.pk)
    assert alert.case_id == case.id and alert.kind == "escalated"
    assert case.tracking_number in alert.text


def test_a_case_closed_otherwise_stops_its_survey(client, demo, drain, sms_outbox, user_named):
    case = resolved_case(demo, user_named, drain)
    intake.take_transition(case.id, "invalidate", user_named("dispatcher"), note="重复件")
    drain("notify")
    assert survey_of(case).state == "cancelled"
    reply(client, "1")
    drain("intake", "notify")
    assert case_now(case).rating is None
