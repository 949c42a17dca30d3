"""Deadline policies (办理时限), each assignment's deadlines, and extension requests (延期)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords


def tracking_number(case_id: int) -> str:
    """How staff know a case (受理编号), for the admin's titles and messages."""
    from services.intake import api as intake  # at call time: intake's models load first

    try:
        return intake.get_case(case_id).tracking_number
    except ObjectDoesNotExist:  # a case removed since: its id is all there is
        return f"#{case_id}"


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("工作小时")
    DAYS = "days", _("工作日")


class DeadlinePolicy(models.Model):
    """Time to sign for (签收) and to resolve (办结), counted from assignment in working time.

    Chosen by the matching rule, else by the case's scenario, else the tenant's default; a case
    without any policy has no deadline (and no colour).
    """

    tenant = models.ForeignKey(
        "directory.Tenant", on_delete=models.CASCADE, related_name="+", verbose_name=_("平台")
    )
    name = models.CharField(_("名称"), max_length=100)
    scenario_code = models.SlugField(
        _("适用场景"),
        blank=True,
        help_text=_("该场景的案件默认使用此时限；留空则只供规则或平台默认使用"),
    )
    is_default = models.BooleanField(
        _("平台默认"), default=False, help_text=_("规则和场景都未指定时限时使用")
    )
    sign_for_limit = models.PositiveIntegerField(_("签收时限"), validators=[MinValueValidator(1)])
    sign_for_unit = models.CharField(
        _("签收时限单位"), max_length=5, choices=TimeUnit.choices, default=TimeUnit.HOURS
    )
    resolve_limit = models.PositiveIntegerField(_("办结时限"), validators=[MinValueValidator(1)])
    resolve_unit = models.CharField(
        _("办结时限单位"), max_length=5, choices=TimeUnit.choices, default=TimeUnit.DAYS
    )
    warn_share = models.DecimalField(
        _("黄灯比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.25"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
        help_text=_("剩余时间少于总时限的这一比例时亮黄灯，例如 0.25"),
    )

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "scenario_code"],
                condition=~Q(scenario_code=""),
                name="deadline_policy_per_scenario",
            ),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="one_default_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CaseDeadline(models.Model):
    """One assignment of a case to a department, with its deadlines and what became of it.

    A case has at most one `current` row (its running deadline); earlier rows stay for the
    statistics (a return or a reassignment ends a row). Colours are never stored: they follow
    from the due and warning instants and the time of asking.
    """

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, related_name="+")
    case_id = models.BigIntegerField(_("案件"), db_index=True)
    department = models.ForeignKey(
        "directory.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("承办部门"),
    )
    # Snapshots for the statistics: the case's region and its township (镇街, top of the tree).
    region_id = models.BigIntegerField(null=True, blank=True)
    township_id = models.BigIntegerField(null=True, blank=True)
    scenario_code = models.SlugField(_("场景"))
    rule = models.ForeignKey(
        "routing.RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy = models.ForeignKey(
        DeadlinePolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("办理时限"),
    )
    current = models.BooleanField(default=True)
    assigned_at = models.DateTimeField(_("分拨时间"))
    sign_due = models.DateTimeField(_("签收期限"), null=True, blank=True)
    sign_warn_at = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(_("办结期限"), null=True, blank=True)
    resolve_warn_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    warned_at = models.DateTimeField(_("临期预警时间"), null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("案件时限")
        verbose_name_plural = _("案件时限")
        constraints = [
            models.UniqueConstraint(
                fields=["case_id"], condition=Q(current=True), name="one_current_deadline"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "current", "resolved_at"]),
            models.Index(fields=["tenant", "assigned_at"]),
        ]

    def __str__(self) -> str:
        return _("案件 %(number)s 的办理时限") % {"number": tracking_number(self.case_id)}


class DeadlineExtension(models.Model):
    """延期申请: staff ask for more time; a dispatcher approves or refuses."""

    class Phase(models.TextChoices):
        SIGN_FOR = "sign_for", _("签收期限")
        RESOLVE = "resolve", _("办结期限")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    tenant = models.ForeignKey("directory.Tenant", on_delete=models.CASCADE, related_name="+")
    deadline = models.ForeignKey(
        CaseDeadline,
        on_delete=models.CASCADE,
        related_name="extensions",
        verbose_name=_("案件时限"),
    )
    case_id = models.BigIntegerField(_("案件"), db_index=True)
    phase = models.CharField(
        _("延长哪个期限"), max_length=10, choices=Phase.choices, default=Phase.RESOLVE
    )
    amount = models.PositiveIntegerField(_("延长"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("单位"), max_length=5, choices=TimeUnit.choices)
    reason = models.TextField(_("申请理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return _("案件 %(number)s：%(phase)s延长 %(amount)s 个%(unit)s") % {
            "number": tracking_number(self.case_id),
            "phase": self.get_phase_display(),
            "amount": self.amount,
            "unit": self.get_unit_display(),
        }
