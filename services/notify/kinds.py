"""The kinds of SMS notify sends, and the rules each kind follows.

Essential (opt-out does not stop them): the receipt (受理回执) is the citizen's only record of
the tracking number and private status link of a request they have just made; the result
(办理结果) is the government's answer to that request, which the citizen is owed whatever they
think of surveys; the opt-out confirmation tells them the opt-out worked. Staff alerts go to
staff, not citizens. Everything else — progress, the survey and its reminder, thanks, help —
is a courtesy or a request for the citizen's time, and 退订 stops it.

Immediate (quiet hours do not delay them): answers to something the citizen did a moment ago,
on their phone, so they are awake — the receipt after submitting, the reply to their reply.
"""

import string

from django.db import models
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

LANGUAGE_CHOICES = [("zh-hans", _("简体中文")), ("en", _("English"))]
DEFAULT_LANGUAGE = "zh-hans"


class Kind(models.TextChoices):
    RECEIPT = "receipt", _("受理回执")
    ASSIGNED = "assigned", _("已分拨")
    RESULT = "result", _("办理结果")
    SURVEY = "survey", _("办理结果与满意度回访")
    SURVEY_REMINDER = "survey_reminder", _("回访提醒")
    THANKS = "thanks", _("感谢评价")
    REOPENED = "reopened", _("不满意·重新办理")
    ESCALATED = "escalated", _("不满意·提交督办")
    HELP = "help", _("回复无法识别")
    OPTED_OUT = "opted_out", _("退订确认")
    STAFF_OVERDUE = "staff_overdue", _("督办提醒·超期")
    STAFF_ESCALATED = "staff_escalated", _("督办提醒·督办")


ESSENTIAL = frozenset(
    {Kind.RECEIPT, Kind.RESULT, Kind.OPTED_OUT, Kind.STAFF_OVERDUE, Kind.STAFF_ESCALATED}
)
IMMEDIATE = frozenset(
    {Kind.RECEIPT, Kind.THANKS, Kind.REOPENED, Kind.ESCALATED, Kind.HELP, Kind.OPTED_OUT}
)

# The satisfaction scale as the survey texts list it (texts.scale_values fills them in).
RATING_SCALE = ("rating_menu", "rating_range")
# What each kind's template may use; `tenant` (the platform's name) is always there.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    Kind.RECEIPT: frozenset({"tracking_number", "status_url"}),
    Kind.ASSIGNED: frozenset({"tracking_number", "department", "status_url"}),
    Kind.RESULT: frozenset({"tracking_number", "result", "status_url"}),
    Kind.SURVEY: frozenset({"tracking_number", "result", "survey_url", *RATING_SCALE}),
    Kind.SURVEY_REMINDER: frozenset({"tracking_number", "survey_url", "deadline", *RATING_SCALE}),
    Kind.THANKS: frozenset({"tracking_number"}),
    Kind.REOPENED: frozenset({"tracking_number"}),
    Kind.ESCALATED: frozenset({"tracking_number"}),
    Kind.HELP: frozenset({"tracking_number", "survey_url", *RATING_SCALE}),
    Kind.OPTED_OUT: frozenset({"hotline"}),
    Kind.STAFF_OVERDUE: frozenset({"tracking_number", "department"}),
    Kind.STAFF_ESCALATED: frozenset({"tracking_number", "department"}),
}


def is_essential(kind: str) -> bool:
    return kind in ESSENTIAL


def is_immediate(kind: str) -> bool:
    return kind in IMMEDIATE


class TemplateInvalid(ValueError):
    """A template uses a placeholder its kind does not provide, or is malformed."""


def check_template(kind: str, text: str) -> None:
    """Raises TemplateInvalid (with a message for the administrator) unless `text` renders."""
    allowed = PLACEHOLDERS.get(kind, frozenset()) | {"tenant"}
    try:
        fields = [
            (name, spec, conv) for _lit, name, spec, conv in string.Formatter().parse(text) if name
        ]
    except ValueError as exc:
        raise TemplateInvalid(
            gettext_now("模板格式有误（花括号不成对？）：%(error)s") % {"error": exc}
        ) from exc
    for name, spec, conv in fields:
        if name not in allowed or spec or conv:
            raise TemplateInvalid(
                gettext_now("不能使用占位符 {%(name)s}。可用：%(allowed)s")
                % {"name": name, "allowed": "、".join(f"{{{n}}}" for n in sorted(allowed))}
            )
    if not text.strip():
        raise TemplateInvalid(gettext_now("模板内容不能为空。"))
