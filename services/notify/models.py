"""The SMS outbox, satisfaction surveys and the citizens' replies."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


def new_survey_token() -> str:
    return secrets.token_urlsafe(8)


class Message(models.Model):
    """One SMS, stored before it is sent (outbox); sent only by the notify worker."""

    class State(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
        UNDELIVERED = "undelivered", _("未送达")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    to = models.CharField(_("收件号码"), max_length=20)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=20)
    case_id = models.BigIntegerField(_("案件"), null=True, blank=True, db_index=True)
    # At most one message per key (e.g. "survey:42:0"), however often an event is redelivered.
    idempotency_key = models.CharField(max_length=100, unique=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    provider_id = models.CharField(_("服务商编号"), max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")

    def __str__(self) -> str:
        return f"{self.purpose} → {self.to}"


class Survey(models.Model):
    """满意度回访: one survey per resolution of a case (a reopened case is surveyed again)."""

    class State(models.TextChoices):
        OPEN = "open", _("待回复")
        ANSWERED = "answered", _("已回复")
        EXPIRED = "expired", _("超时未回复")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    case_id = models.BigIntegerField(_("案件"))
    tracking_number = models.CharField(_("受理编号"), max_length=20)
    round = models.PositiveSmallIntegerField(_("轮次"), default=0)
    phone = models.CharField(_("号码"), max_length=20, db_index=True)
    token = models.CharField(max_length=16, unique=True, default=new_survey_token)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
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


class InboundMessage(models.Model):
    """A citizen's SMS reply, kept once per provider message id (replays change nothing)."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    provider_id = models.CharField(_("服务商编号"), max_length=64, unique=True)
    sender = models.CharField(_("发件号码"), max_length=20)
    body = models.TextField(_("内容"))
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL)
    outcome = models.CharField(_("处理结果"), max_length=20)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("市民回复")
        verbose_name_plural = _("市民回复")

    def __str__(self) -> str:
        return self.provider_id
