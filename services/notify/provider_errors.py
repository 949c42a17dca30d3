"""Providers' error codes (Twilio's, Aliyun's) in words staff understand (shown in the admin
next to the raw text)."""

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
    # Aliyun SendSms codes
    "isv.MOBILE_NUMBER_ILLEGAL": _("收件号码无效"),
    "isv.BUSINESS_LIMIT_CONTROL": _("触发服务商流控（同一号码发送过于频繁），稍后重试"),
    "isv.DAY_LIMIT_CONTROL": _("已达到当日发送上限，稍后重试"),
    "isv.AMOUNT_NOT_ENOUGH": _("短信账户余额不足，请充值"),
    "isv.SMS_TEMPLATE_ILLEGAL": _("短信模板不存在或未通过审核，请检查报备短信模板"),
    "isv.SMS_SIGNATURE_ILLEGAL": _("短信签名不存在或未通过审核，请检查短信设置"),
    "isv.TEMPLATE_MISSING_PARAMETERS": _("模板变量与报备模板不一致"),
    "isv.PARAM_LENGTH_LIMIT": _("模板变量超出长度限制"),
    "isv.BLACK_KEY_CONTROL_LIMIT": _("内容含运营商禁止的关键字"),
    "isp.SYSTEM_ERROR": _("服务商系统错误，核实后重试"),
    "SignatureDoesNotMatch": _("短信账号认证失败，请检查凭据"),
    "InvalidAccessKeyId.NotFound": _("短信账号认证失败，请检查凭据"),
    "no_template": _("未配置该类短信的报备短信模板"),
}


def describe(code: str, detail: str = "") -> str:
    """'收件号码无效（Twilio HTTP 400 code 21211: …）'."""
    text = ERROR_TEXT.get(str(code), "")
    if text and detail:
        return f"{text}（{detail}）"
    return str(text) or detail
