"""Notify's tables: the SMS outbox, surveys, citizens' replies, opt-outs, per-tenant settings and
templates, and staff alerts (督办提醒)."""

import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from services.privacy import keep_hash_in_step, mask_phone

from .kinds import LANGUAGE_CHOICES, Kind, TemplateInvalid, check_template


def new_survey_token() -> str:
    return secrets.token_urlsafe(8)


class Message(models.Model):
    """One SMS, stored before it is sent (outbox); sent only by the notify worker.

    queued → sending → sent → delivered / undelivered / failed. A row is claimed (`sending`)
    before the provider is called and never resent blindly from there: a row stuck in
    `sending` is reconciled against the provider or left for an operator (`review`).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        UNDELIVERED = "undelivered", _("未送达")
        REVIEW = "review", _("待人工核实")
        SUPPRESSED = "suppressed", _("已退订未发送")
        ABROAD = "abroad", _("境外号码未发送")  # the tenant sends no SMS abroad

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    to = models.CharField(_("收件号码"), max_length=20)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=20, choices=Kind.choices)
    case_id = models.BigIntegerField(_("案件"), null=True, blank=True, db_index=True)
    # At most one message per key (e.g. "survey:42:0"), however often an event is redelivered.
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    # The template's parameters (tracking number, links …): what providers that send only
    # approved templates (Aliyun) send instead of `body`, our own rendering.
    params = models.JSONField(_("模板参数"), default=dict, blank=True)
    urgent = models.BooleanField(
        _("不受免打扰时段限制"), default=False, help_text=_("对市民刚刚操作的即时答复")
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    sender = models.CharField(_("发送号码"), max_length=20, blank=True)
    provider_id = models.CharField(_("服务商编号"), max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    # When the current attempt claimed the row: a `sending` row older than a send can take
    # was abandoned by a dead worker.
    claimed_at = models.DateTimeField(_("本次发送开始"), null=True, blank=True)
    # The last attempt ended without knowing whether the provider took the message (a read
    # timeout, a 500): the next attempt asks the provider before sending again.
    needs_lookup = models.BooleanField(_("需向服务商核实"), default=False)
    error_code = models.CharField(_("错误代码"), max_length=40, blank=True, db_index=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")
        indexes = [models.Index(fields=["state", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} #{self.pk}"


class Survey(models.Model):
    """满意度回访: one survey per resolution of a case (a reopened case is surveyed again)."""

    class State(models.TextChoices):
        OPEN = "open", _("待回复")
        ANSWERED = "answered", _("已回复")
        EXPIRED = "expired", _("超时未回复")
        CANCELLED = "cancelled", _("已取消")

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        WEB = "web", _("网页")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    case_id = models.BigIntegerField(_("案件"))
    tracking_number = models.CharField(_("受理编号"), max_length=20)
    round = models.PositiveSmallIntegerField(_("轮次"), default=0)
    phone = models.CharField(_("号码"), max_length=20)
    # HMAC of phone (services.privacy.phone_hash): an inbound reply finds its survey by this,
    # never by comparing the number itself. Kept in step by save().
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token = models.CharField(max_length=16, unique=True, default=new_survey_token)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    answered_via = models.CharField(
        _("回复渠道"), max_length=5, choices=Channel.choices, blank=True
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    remind_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    expires_at = models.DateTimeField(_("截止时间"), null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("满意度回访")
        verbose_name_plural = _("满意度回访")
        constraints = [
            models.UniqueConstraint(fields=["case_id", "round"], name="one_survey_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} #{self.round}"

    def save(self, *args, **kwargs) -> None:
        keep_hash_in_step(self, "phone", "phone_hash", kwargs)
        super().save(*args, **kwargs)


class InboundMessage(models.Model):
    """A citizen's SMS reply, kept once per provider message id (replays change nothing)."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    provider_id = models.CharField(_("服务商编号"), max_length=64, unique=True)
    sender = models.CharField(_("发件号码"), max_length=20)
    body = models.TextField(_("内容"))
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("回访")
    )
    outcome = models.CharField(_("处理结果"), max_length=20)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("市民回复")
        verbose_name_plural = _("市民回复")

    def __str__(self) -> str:
        return self.provider_id


class OptOut(models.Model):
    """退订: this number gets no more non-essential SMS from this tenant."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    phone = models.CharField(_("号码"), max_length=20)
    # HMAC of phone: what "has this number opted out?" compares (services.privacy).
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    source = models.CharField(_("来源"), max_length=64, blank=True, help_text=_("回复短信编号"))
    created_at = models.DateTimeField(_("退订时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("退订号码")
        verbose_name_plural = _("退订号码")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "phone"], name="one_opt_out_per_number")
        ]
        indexes = [models.Index(fields=["tenant", "phone_hash"], name="optout_tenant_phone_hash")]

    def __str__(self) -> str:
        return mask_phone(self.phone)  # titles, messages and logs name it; none needs it whole

    def save(self, *args, **kwargs) -> None:
        keep_hash_in_step(self, "phone", "phone_hash", kwargs)
        super().save(*args, **kwargs)


def _default_quiet(index: int):
    """The deployment's default quiet hours (settings.SMS_QUIET_HOURS, "22:00-08:00")."""
    from .quiet_hours import parse_window

    window = parse_window(settings.SMS_QUIET_HOURS)
    return window[index] if window else None


def default_quiet_start():
    return _default_quiet(0)


def default_quiet_end():
    return _default_quiet(1)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("未知的时区：%(tz)s"), params={"tz": value})


# A credentials reference names environment variables: TWILIO_AUTH_TOKEN_<REF> …
credentials_ref_validator = RegexValidator(r"^[A-Z0-9_]*$", _("只能使用大写字母、数字和下划线"))


def validate_sms_backend(value: str) -> None:
    if value and value not in settings.SMS_BACKENDS:
        raise ValidationError(_("未知的短信服务商：%(name)s"), params={"name": value})


def sms_backend_choices() -> list[tuple[str, Any]]:
    return [("", _("部署默认")), *((name, name) for name in settings.SMS_BACKENDS)]


class NotifySettings(models.Model):
    """A tenant's SMS settings (短信设置): quiet hours, survey window, language, the provider
    and its credentials."""

    tenant = models.OneToOneField(
        "directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台")
    )
    time_zone = models.CharField(
        _("时区"), max_length=40, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    quiet_start = models.TimeField(
        _("免打扰开始"),
        null=True,
        blank=True,
        default=default_quiet_start,
        help_text=_("此时段内非紧急短信延至结束时发送；两项留空则不设免打扰"),
    )
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True, default=default_quiet_end)
    language = models.CharField(
        _("短信语言"), max_length=10, choices=LANGUAGE_CHOICES, default="zh-hans"
    )
    survey_window_days = models.PositiveSmallIntegerField(
        _("回访期限（天）"), default=3, help_text=_("期限内未回复，按“未回复”结案")
    )
    survey_reminder_after_hours = models.PositiveSmallIntegerField(
        _("提醒时间（小时）"),
        default=24,
        help_text=_("发出回访后多少小时未回复则提醒一次；不小于回访期限则不提醒"),
    )
    progress_sms = models.BooleanField(
        _("发送进展短信"), default=False, help_text=_("案件分拨到部门时短信告知市民")
    )
    staff_sms_alerts = models.BooleanField(
        _("督办短信"), default=False, help_text=_("超期或督办时，除站内提醒外也短信通知负责人")
    )
    twilio_credentials_ref = models.CharField(
        _("短信账号引用"),
        max_length=40,
        blank=True,
        validators=[credentials_ref_validator],
        help_text=_(
            "留空使用全局账号。填写 XX 则从环境变量 TWILIO_ACCOUNT_SID_XX、"
            "TWILIO_AUTH_TOKEN_XX 读取本平台的 Twilio 账号；密钥从不存入数据库"
        ),
    )
    sms_backend = models.CharField(
        _("短信服务商"),
        max_length=20,
        blank=True,
        validators=[validate_sms_backend],
        help_text=_("留空使用部署默认（SMS_BACKEND）。境内请用 aliyun（阿里云短信）"),
    )
    sms_sign_name = models.CharField(
        _("短信签名"),
        max_length=20,
        blank=True,
        help_text=_("阿里云短信：已审核通过的签名，如“温岭市共治码”"),
    )
    aliyun_credentials_ref = models.CharField(
        _("阿里云账号引用"),
        max_length=40,
        blank=True,
        validators=[credentials_ref_validator],
        help_text=_(
            "留空使用全局账号。填写 XX 则从环境变量 ALIYUN_ACCESS_KEY_ID_XX、"
            "ALIYUN_ACCESS_KEY_SECRET_XX 读取本平台的 AccessKey；密钥从不存入数据库"
        ),
    )
    # Aliyun signs nothing it pushes: the callback URLs carry this secret (made on first use).
    callback_secret = models.CharField(max_length=64, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    # The callback secret stays out of the history: one copy of a secret is enough.
    history = HistoricalRecords(verbose_name=_("修改历史"), excluded_fields=["callback_secret"])

    class Meta:
        verbose_name = _("短信设置")
        verbose_name_plural = _("短信设置")

    def __str__(self) -> str:
        return str(_("短信设置"))

    def clean(self) -> None:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValidationError(_("免打扰开始和结束时间须同时填写或同时留空。"))


class SmsTemplate(models.Model):
    """A tenant's text for one kind of SMS in one language; without one, the default applies."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    language = models.CharField(
        _("语言"), max_length=10, choices=LANGUAGE_CHOICES, default="zh-hans"
    )
    text = models.TextField(_("内容"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("短信模板")
        verbose_name_plural = _("短信模板")
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "language"], name="one_template_per_kind_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    def clean(self) -> None:

        try:
            check_template(self.kind, self.text)
        except TemplateInvalid as exc:
            raise ValidationError({"text": str(exc)}) from exc


class ProviderTemplate(models.Model):
    """报备模板: the template a provider approved for one kind of SMS (Aliyun's TemplateCode,
    e.g. SMS_476380012), with the variables notify sends it (see `aliyun.template_variables`)."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    template_code = models.CharField(
        _("模板编号"),
        max_length=40,
        validators=[RegexValidator(r"^[A-Za-z0-9_]+$", _("只能使用字母、数字和下划线"))],
        help_text=_("服务商审核通过的模板编号，如阿里云的 SMS_476380012"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("报备短信模板")
        verbose_name_plural = _("报备短信模板")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind"], name="one_provider_template_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.template_code}"


class StaffNotification(models.Model):
    """An in-app alert (站内提醒) for one staff member: a case overdue or escalated."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("超期")
        ESCALATED = "escalated", _("督办")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    case_id = models.BigIntegerField(_("案件"))
    tracking_number = models.CharField(_("受理编号"), max_length=20)
    text = models.TextField(_("内容"))
    # One alert per person and occasion, however often the event is redelivered.
    key = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("站内提醒")
        verbose_name_plural = _("站内提醒")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_alert_per_occasion")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text[:40]
