"""Every form a citizen's rating reply takes: read on its own, and through the signed webhook
to the case closing (satisfied) or reopening with the comment (dissatisfied)."""

import pytest

from services.notify.replies import (
    find_tracking_number,
    is_opt_in,
    is_opt_out,
    parse_reply,
)
from tests.builders import resolved_case
from tests.helpers import case_now, reply, survey_of, timeline_notes

# (reply as typed, rating, comment)
RATINGS = [
    ("1", 1, ""),
    ("5", 5, ""),
    ("１", 1, ""),  # full-width digit
    ("５", 5, ""),
    ("　３　", 3, ""),  # ideographic spaces
    ("2。", 2, ""),
    ("【4】", 4, ""),
    ("1!", 1, ""),
    ("2分", 2, ""),
    ("5 分", 5, ""),
    ("一", 1, ""),
    ("五分", 5, ""),
    ("非常满意", 1, ""),
    ("满意", 2, ""),
    ("基本满意", 3, ""),
    ("不满意", 4, ""),
    ("非常不满意", 5, ""),
    ("非常 满意", 1, ""),
    ("非 常 不 满 意", 5, ""),
    ("满意！", 2, ""),
    ("基本满意。", 3, ""),
    ("不满意，噪音还在", 4, "噪音还在"),
    ("4 处理太慢了", 4, "处理太慢了"),
    ("５，晚上还是很吵！", 5, "晚上还是很吵"),
    ("非常不满意!!问题没解决", 5, "问题没解决"),
    ("3分，还行", 3, "还行"),
]
NOT_RATINGS = ["", "6", "0", "12", "2024年", "1 2", "一般", "我很满意", "好的", "谢谢", "？"]


@pytest.mark.parametrize(("text", "rating", "comment"), RATINGS)
def test_every_rating_form_is_read(text, rating, comment):
    parsed = parse_reply(text)
    assert parsed is not None, text
    assert (parsed.rating, parsed.comment) == (rating, comment)


@pytest.mark.parametrize("text", NOT_RATINGS)
def test_what_is_not_a_rating_is_not_read_as_one(text):
    assert parse_reply(text) is None


@pytest.mark.parametrize("text", ["退订", "TD", "td", "T", "STOP", "stop", "ＳＴＯＰ", " 退订。"])
def test_opt_out_words(text):
    assert is_opt_out(text) and parse_reply(text) is None


@pytest.mark.parametrize("text", ["订阅", "START", "start", "UNSTOP"])
def test_opt_in_words(text):
    assert is_opt_in(text) and not is_opt_out(text)


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("261124-03817 1", "1"),
        ("261124 03817：满意", ":满意"),  # NFKC folds the full-width colon
        ("26112403817不满意", "不满意"),
        ("编号２６１１２４－０３８１７，４", ",4"),
        ("受理编号：261124-03817 非常满意", "非常满意"),
    ],
)
def test_a_named_tracking_number_is_found_and_taken_out(text, rest):
    named, remainder = find_tracking_number(text, ["261124-99999", "261124-03817"])
    assert named == "261124-03817"
    assert remainder == rest
    assert parse_reply(remainder) is not None


def test_a_tracking_number_inside_longer_digits_is_not_one():
    assert find_tracking_number("1261124038171", ["261124-03817"])[0] is None


# Through the webhook: one case per form, replied to by SMS.
WEBHOOK_FORMS = [r for r in RATINGS if r[0] in {"１", "2。", "五分", "非常 满意", "基本满意"}] + [
    r
    for r in RATINGS
    if r[1] >= 4 and r[0] in {"不满意，噪音还在", "５，晚上还是很吵！", "4 处理太慢了"}
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("text", "rating", "comment"), WEBHOOK_FORMS)
def test_each_form_through_the_webhook_closes_or_reopens(
    client, demo, drain, sms_outbox, user_named, text, rating, comment
):
    case = resolved_case(demo, user_named, drain)
    assert reply(client, text).status_code == 200
    drain("intake", "notify")
    survey = survey_of(case)
    assert (survey.state, survey.rating, survey.comment) == ("answered", rating, comment)
    case = case_now(case)
    if rating <= 3:
        assert (case.state, case.rating) == ("closed", rating)
    else:
        assert (case.state, case.reopen_count, case.rating) == ("in_progress", 1, rating)
        reopen_notes = [note for action, note in timeline_notes(case) if action == "reopen"]
        assert len(reopen_notes) == 1 and comment in reopen_notes[0]
