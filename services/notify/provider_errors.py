"""Twilio's error codes in words staff understand (shown in the admin next to the raw text)."""

from django.utils.translation import gettext_lazy as _

ERROR_TEXT = {
    "20003": _("短信账号认证失败，请检查凭据"),
    "20429": _("请求过于频繁，稍后重试"),
    "21211": _("收件号码无效"),
    "21408": _("未开通向该国家或地区发送短信的权限"),
    "21610": _("对方已在运营商处退订"),
    "21614": _("收件号码不是手机号码"),
    "30003": _("对方手机不可达（关机或无信号）"),
    "30004": _("短信被对方拦截"),
    "30005": _("收件号码不存在"),
    "30006": _("固定电话或运营商不可达"),
    "30007": _("被运营商过滤"),
    "30008": _("运营商返回未知错误"),
}


def describe(code: str, detail: str = "") -> str:
    """'收件号码无效（Twilio HTTP 400 code 21211: …）'."""
    text = ERROR_TEXT.get(str(code), "")
    if text and detail:
        return f"{text}（{detail}）"
    return str(text) or detail
