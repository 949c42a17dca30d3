"""Routing rules (分拨规则) and the record of every routing decision."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class RoutingRule(models.Model):
    """An ordered rule: the first active rule whose conditions all hold names the department."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    name = models.CharField(_("名称"), max_length=100)
    order = models.PositiveIntegerField(_("顺序"), default=100, help_text=_("小的先匹配"))
    active = models.BooleanField(_("启用"), default=True)
    scenario_codes = models.JSONField(
        _("场景"), default=list, blank=True, help_text=_("场景代码列表；留空表示任意场景")
    )
    department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, verbose_name=_("承办部门")
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("分拨规则")
        verbose_name_plural = _("分拨规则")
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["tenant", "active", "order"])]

    def __str__(self) -> str:
        return self.name


class RoutingDecision(models.Model):
    """What routing did with a case, each time it routed it (the case lives in intake)."""

    class Outcome(models.TextChoices):
        ASSIGNED = "assigned", _("已分拨")
        NO_MATCH = "no_match", _("无匹配规则")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE)
    case_id = models.BigIntegerField(db_index=True)
    rule = models.ForeignKey(RoutingRule, null=True, on_delete=models.SET_NULL)
    department = models.ForeignKey("directory.Department", null=True, on_delete=models.SET_NULL)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    returned = models.BooleanField(default=False)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("分拨记录")
        verbose_name_plural = _("分拨记录")

    def __str__(self) -> str:
        return f"case {self.case_id}: {self.outcome}"
