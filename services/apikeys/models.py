"""Per-tenant API keys (接口密钥) of partner systems: only a prefix and a keyed hash are stored."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class ApiKey(models.Model):
    """One partner system's key to a tenant's machine API.

    The raw key (`gzm_<prefix>_<secret>`) is shown once, when it is created; afterwards only
    `prefix` (to find the row and to tell keys apart in lists and logs) and `key_hash`
    (HMAC-SHA256 of the whole key, keys.py says why) remain.
    """

    tenant = models.ForeignKey(
        "directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"), related_name="+"
    )
    name = models.CharField(
        _("名称"), max_length=100, help_text=_("使用该密钥的系统，如“12345热线”")
    )
    prefix = models.CharField(_("密钥前缀"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("权限范围"), default=list)
    acts_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代表的工作人员"),
        help_text=_("密钥以该工作人员的身份办理和查询案件，权限不超过该工作人员"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("创建人"),
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
