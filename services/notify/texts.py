"""SMS texts: the built-in defaults per kind and language, a tenant's own templates (短信模板)
over them, and checking and rendering a template.

Templates use `{name}` placeholders. Only the plain names a kind declares are allowed: no
attribute access, indexing or format specs, since tenant administrators write them.
"""

import logging

from django_scopes import scopes_disabled

from services import satisfaction
from services.directory.api import get_tenant

from .kinds import DEFAULT_LANGUAGE, Kind, TemplateInvalid, check_template

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, dict[str, str]] = {
    Kind.RECEIPT: {
        "zh-hans": "【{tenant}】您反映的问题已受理，受理编号 {tracking_number}。"
        "办理进展将短信告知，查询：{status_url}",
        "en": "[{tenant}] Your report has been received. Tracking number {tracking_number}. "
        "Follow it here: {status_url}",
    },
    Kind.ASSIGNED: {
        "zh-hans": "【{tenant}】您反映的问题（编号 {tracking_number}）已交由{department}办理。"
        "查询：{status_url}",
        "en": "[{tenant}] Your report {tracking_number} is being handled by {department}. "
        "Follow it here: {status_url}",
    },
    Kind.RESULT: {
        "zh-hans": "【{tenant}】您反映的问题（编号 {tracking_number}）已办结：{result} "
        "查询：{status_url}",
        "en": "[{tenant}] Your report {tracking_number} has been resolved: {result} "
        "Details: {status_url}",
    },
    Kind.SURVEY: {
        "zh-hans": "【{tenant}】您反映的问题（编号 {tracking_number}）已办结：{result}\n"
        "请回复数字评价：{rating_menu}，可附意见。"
        "也可点击评价：{survey_url} 回复“退订”不再接收回访短信。",
        "en": "[{tenant}] Your report {tracking_number} has been resolved: {result}\n"
        "Please reply with a number: {rating_menu}, with any comment. Or rate here: {survey_url} "
        "Reply STOP to opt out.",
    },
    Kind.SURVEY_REMINDER: {
        "zh-hans": "【{tenant}】您反映的问题（编号 {tracking_number}）已办结，尚未收到您的评价。"
        "请在{deadline}前回复数字评价（{rating_range}），或点击：{survey_url}",
        "en": "[{tenant}] We have not yet heard how we handled report {tracking_number}. "
        "Please reply with a number before {deadline} ({rating_range}) "
        "or rate here: {survey_url}",
    },
    Kind.THANKS: {
        "zh-hans": "【{tenant}】感谢您的评价，我们将持续改进。",
        "en": "[{tenant}] Thank you for your rating.",
    },
    Kind.REOPENED: {
        "zh-hans": "【{tenant}】已收到您的意见，编号 {tracking_number} 的问题将重新办理。",
        "en": "[{tenant}] We have your comments: report {tracking_number} will be handled again.",
    },
    Kind.ESCALATED: {
        "zh-hans": "【{tenant}】已收到您的意见，编号 {tracking_number} 的问题已提交指挥室督办。",
        "en": "[{tenant}] We have your comments: report {tracking_number} has been referred "
        "to the command centre.",
    },
    Kind.HELP: {
        "zh-hans": "【{tenant}】未能识别您的回复。请回复数字评价编号 {tracking_number} 的办理结果："
        "{rating_menu}；或点击：{survey_url}",
        "en": "[{tenant}] Sorry, we could not read your reply. Please rate report "
        "{tracking_number} with a number ({rating_range}), or here: {survey_url}",
    },
    Kind.OPTED_OUT: {
        "zh-hans": "【{tenant}】您已退订回访短信，今后仅接收受理回执和办理结果。"
        "回复“订阅”可恢复。咨询：{hotline}",
        "en": "[{tenant}] You have opted out: you will only get receipts and results. "
        "Reply START to opt back in. Enquiries: {hotline}",
    },
    Kind.STAFF_OVERDUE: {
        "zh-hans": "【{tenant}】督办提醒：案件 {tracking_number}（{department}）"
        "已超过办理时限，请尽快处理。",
        "en": "[{tenant}] Overdue: case {tracking_number} ({department}) is past its deadline.",
    },
    Kind.STAFF_ESCALATED: {
        "zh-hans": "【{tenant}】督办提醒：案件 {tracking_number}（{department}）已提交督办，请关注。",
        "en": "[{tenant}] Escalated: case {tracking_number} ({department}) needs attention.",
    },
}

# What the admin preview fills in.
SAMPLE_VALUES = {
    "tenant": "温岭市",
    "tracking_number": "261124-03817",
    "status_url": "https://example.gov.cn/s/Ab3dE5gH7jK/",
    "survey_url": "https://example.gov.cn/v/Xy9zW7vU5tS/",
    "department": "市人力社保局",
    "result": "已督促企业结清全部工资。",
    "deadline": "11月27日 10:00",
    "hotline": "0576-12345",
}


def sample_values(language: str) -> dict[str, str]:
    """Every placeholder filled with an example (the admin's preview)."""
    return {**scale_values(language), **SAMPLE_VALUES}


def scale_values(language: str) -> dict[str, str]:
    """The rating scale as the survey texts list it, from services.satisfaction: the survey,
    its reminder and the help SMS may use {rating_menu} (1非常满意 … 5非常不满意) and
    {rating_range} (its two ends)."""
    return {
        "rating_menu": satisfaction.menu(language),
        "rating_range": satisfaction.menu(language, short=True),
    }


def default_text(kind: str, language: str) -> str:
    texts = DEFAULTS[kind]
    return texts.get(language) or texts[DEFAULT_LANGUAGE]


def fill(text: str, values: dict[str, str]) -> str:
    return text.format_map(values)


def render(tenant_id: int, kind: str, language: str, **values: str) -> str:
    """The tenant's template for `kind` in `language` (else the default), filled in."""
    from .models import SmsTemplate

    values = {"tenant": get_tenant(tenant_id).name, **scale_values(language), **values}
    with scopes_disabled():
        own = (
            SmsTemplate.objects.filter(tenant_id=tenant_id, kind=kind, language=language)
            .values_list("text", flat=True)
            .first()
        )
    if own is not None:
        try:
            check_template(kind, own)
            return fill(own, values)
        except (TemplateInvalid, KeyError):
            # Saved before a placeholder was withdrawn: the default beats a broken SMS.
            logger.error("SMS template %s/%s of tenant %s is invalid", kind, language, tenant_id)
    return fill(default_text(kind, language), values)


def preview(kind: str, text: str) -> str:
    """The template filled with sample values, or the reason it cannot be."""
    try:
        check_template(kind, text)
    except TemplateInvalid as exc:
        return str(exc)
    return fill(text, sample_values(DEFAULT_LANGUAGE))


def segments(text: str) -> int:
    """How many SMS the text is billed as: 70 UCS-2 characters alone, 67 per concatenated part
    (Chinese text is always UCS-2; counting it so is the conservative estimate)."""
    length = len(text)
    return 1 if length <= 70 else -(-length // 67)


def install_defaults(tenant_id: int) -> int:
    """Gives the tenant an editable copy of every default template it lacks; returns how many."""
    from .models import SmsTemplate

    created = 0
    with scopes_disabled():
        have = set(SmsTemplate.objects.filter(tenant_id=tenant_id).values_list("kind", "language"))
        for kind, texts in DEFAULTS.items():
            for language, text in texts.items():
                if (kind, language) not in have:
                    SmsTemplate.objects.get_or_create(
                        tenant_id=tenant_id, kind=kind, language=language, defaults={"text": text}
                    )
                    created += 1
    return created
