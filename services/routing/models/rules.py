"""Routing rules (分拨规则), the record of every routing decision, and co-handling (协同处置)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from .config import RoutingConfigVersion
from .deadlines import tracking_number

# Intake's channel and priority values, repeated here because routing may not import intake's
# models; conditions on them are validated against these choices.
CHANNEL_CHOICES = [("qr", _("扫码")), ("desk", _("窗口")), ("api", _("接口"))]
PRIORITY_CHOICES = [(0, _("一般")), (1, _("紧急"))]


class RuleQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Routing workers cache a tenant's rules until its configuration version moves
        # (services/routing/config.py); a bulk update sends no save signal, so it moves it here.
        kwargs.setdefault("updated_at", timezone.now())
        tenants = set(self.values_list("tenant_id", flat=True).distinct())
        updated = super().update(**kwargs)
        for tenant_id in tenants:
            RoutingConfigVersion.advance(tenant_id)
        return updated


class RoutingRule(models.Model):
    """An ordered rule: the first active rule whose conditions all hold names the department.

    Every condition left empty holds for any case. Conditions on the scenario's extra fields
    are a list of {"field", "op", "value"} (see services.routing.conditions).
    """

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    name = models.CharField(_("名称"), max_length=100)
    order = models.PositiveIntegerField(_("顺序"), default=100, help_text=_("小的先匹配"))
    active = models.BooleanField(_("启用"), default=True)

    # Conditions (条件)
    scenario_codes = models.JSONField(
        _("场景"), default=list, blank=True, help_text=_("场景代码列表；留空表示任意场景")
    )
    region = models.ForeignKey(
        "directory.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("区域范围"),
        help_text=_("该区域及其下属村社、网格；留空表示任意区域"),
    )
    channels = models.JSONField(
        _("渠道"), default=list, blank=True, help_text=_("留空表示任意渠道")
    )
    priority = models.SmallIntegerField(
        _("优先级条件"),
        null=True,
        blank=True,
        choices=PRIORITY_CHOICES,
        help_text=_("留空表示任意优先级"),
    )
    keywords = models.JSONField(
        _("关键词"),
        default=list,
        blank=True,
        help_text=_("问题描述包含其中任一关键词即满足；留空表示不限"),
    )
    field_conditions = models.JSONField(
        _("场景字段条件"), default=list, blank=True, help_text=_("全部满足才匹配")
    )

    # Action (分拨动作)
    department = models.ForeignKey(
        "directory.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("承办部门"),
    )
    co_departments = models.ManyToManyField(
        "directory.Department",
        blank=True,
        related_name="+",
        verbose_name=_("协同部门"),
        help_text=_("协同处置：可查看案件并添加办理意见"),
    )
    set_priority = models.SmallIntegerField(
        _("设定优先级"),
        null=True,
        blank=True,
        choices=PRIORITY_CHOICES,
        help_text=_("留空表示保持案件原优先级"),
    )
    deadline_policy = models.ForeignKey(
        "routing.DeadlinePolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("办理时限"),
        help_text=_("留空则按场景时限或平台默认时限"),
    )
    # 就近派遣: within the department, the nearest officer on duty (directory's positions).
    nearest_officer_km = models.FloatField(
        _("就近派遣范围（公里）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(200)],
        help_text=_(
            "填写则派给承办部门在此距离内最近的在岗外勤人员（承办人）；"
            "案件没有位置或范围内无人在岗时派给部门。留空表示只派给部门"
        ),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(
        tenant="tenant", _manager_class=models.Manager.from_queryset(RuleQuerySet)
    )

    history = HistoricalRecords(verbose_name=_("修改历史"))

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
    department = models.ForeignKey(
        "directory.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    returned = models.BooleanField(default=False)
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("分拨记录")
        verbose_name_plural = _("分拨记录")

    def __str__(self) -> str:
        return f"{tracking_number(self.case_id)}: {self.get_outcome_display()}"
