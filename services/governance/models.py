"""The governance index (治理指数): a tenant's indicator tree, the values staff enter each
month, and each closed month's frozen result with the record of every recompute."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from .measures import measure_choices


class Indicator(models.Model):
    """One node of the indicator tree (指标体系): a dimension (维度, e.g. 治理效能), a sub-index
    under it (分指数, e.g. 平安法治) or an indicator under that (三级指标), which is either
    computed from case data by a named measure or entered monthly by staff."""

    class Level(models.TextChoices):
        DIMENSION = "dimension", _("维度")
        SUB_INDEX = "sub_index", _("分指数")
        INDICATOR = "indicator", _("三级指标")

    class Source(models.TextChoices):
        COMPUTED = "computed", _("系统计算")
        ENTERED = "entered", _("人工填报")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("越高越好")
        LOWER = "lower", _("越低越好")

    PARENT_LEVEL: dict[str, str] = {
        Level.SUB_INDEX: Level.DIMENSION,
        Level.INDICATOR: Level.SUB_INDEX,
    }

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("上级"),
    )
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    code = models.SlugField(_("代码"), max_length=50)
    name = models.CharField(_("名称"), max_length=50)
    definition = models.TextField(_("口径说明"), blank=True)
    weight = models.DecimalField(
        _("权重"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("与同一上级下的其他项相比的权重；0 表示暂不计入"),
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    source = models.CharField(
        _("数据来源"), max_length=10, choices=Source.choices, blank=True, help_text=_("仅三级指标")
    )
    measure = models.CharField(
        _("计算口径"),
        max_length=40,
        choices=measure_choices(),
        blank=True,
        help_text=_("系统计算的三级指标从案件数据取哪一项"),
    )
    direction = models.CharField(
        _("方向"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标体系")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="indicator_code_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A dimension is a root, a sub-index sits under a dimension, an indicator under a
        sub-index and says where its value comes from."""
        errors: dict[str, Any] = {}  # field → message (lazy or formatted)
        wanted = self.PARENT_LEVEL.get(self.level)
        parent = self.parent if self.parent_id else None
        if wanted is None and parent is not None:
            errors["parent"] = _("维度是最上一级，不能有上级。")
        elif wanted is not None and (parent is None or parent.level != wanted):
            errors["parent"] = _("上级应为一个“%(level)s”。") % {"level": self.Level(wanted).label}
        elif parent is not None and self.tenant_id and parent.tenant_id != self.tenant_id:
            errors["parent"] = _("上级不属于本平台。")
        if self.level == self.Level.INDICATOR:
            if not self.source:
                errors["source"] = _("三级指标须选择数据来源。")
            elif self.source == self.Source.COMPUTED and not self.measure:
                errors["measure"] = _("系统计算的指标须选择计算口径。")
            elif self.source == self.Source.ENTERED and self.measure:
                errors["measure"] = _("人工填报的指标不选计算口径。")
        elif self.source or self.measure:
            errors["source"] = _("只有三级指标有数据来源和计算口径。")
        if errors:
            raise ValidationError(errors)


class EnteredValue(models.Model):
    """A staff-entered monthly value (人工填报) of an indicator for one township, e.g. whether
    the township held its monthly safety meeting (制度建设)."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="entered_values",
        verbose_name=_("指标"),
        limit_choices_to={"source": Indicator.Source.ENTERED},
    )
    township = models.ForeignKey(
        "directory.Region",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("镇街"),
        limit_choices_to={"level": "township"},
    )
    year = models.PositiveSmallIntegerField(
        _("年"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        _("月"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    value = models.FloatField(_("数值"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("填报人"),
        editable=False,
    )
    entered_at = models.DateTimeField(_("填报时间"), auto_now=True)

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("填报值")
        verbose_name_plural = _("月度填报")
        ordering = ["-year", "-month", "indicator__order", "township_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "township", "year", "month"], name="one_value_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.indicator} · {self.township}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}  # field → message (lazy or formatted)
        if self.indicator_id and self.indicator.source != Indicator.Source.ENTERED:
            errors["indicator"] = _("只能为人工填报的指标填写数值。")
        if self.indicator_id and self.tenant_id and self.indicator.tenant_id != self.tenant_id:
            errors["indicator"] = _("所选指标不属于本平台。")
        if self.township_id and self.tenant_id and self.township.tenant_id != self.tenant_id:
            errors["township"] = _("所选镇街不属于本平台。")
        if errors:
            raise ValidationError(errors)


class MonthlyResult(models.Model):
    """A closed month's index, frozen (冻结): what the report shows for that month from then
    on, whatever cases or values arrive later, until a recorded recompute replaces it."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    computed_at = models.DateTimeField(_("计算时间"))
    # The whole computation (tree as used, raw values, scores, ranks, explanations): a later
    # change of weights or indicators does not rewrite a closed month.
    figures = models.JSONField(_("结果"))

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("月度结果")
        verbose_name_plural = _("月度结果")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "year", "month"], name="one_result_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class Recomputation(models.Model):
    """重新计算: an explicit, recorded replacement of a closed month's result (who, when, why)."""

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, verbose_name=_("平台"))
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    requested_at = models.DateTimeField(_("操作时间"), auto_now_add=True)
    reason = models.TextField(_("原因"))
    # The township indexes before and after, so the record shows what the recompute changed.
    before = models.JSONField(_("重算前指数"), default=dict)
    after = models.JSONField(_("重算后指数"), default=dict)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("重新计算记录")
        verbose_name_plural = _("重新计算记录")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} @ {self.requested_at:%Y-%m-%d %H:%M}"
