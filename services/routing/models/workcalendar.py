"""A tenant's working calendar (工作日历): working hours, weekends, holidays and make-up days."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords


def default_weekend() -> list[int]:
    return [6, 7]  # ISO weekdays: Saturday, Sunday


class WorkCalendar(models.Model):
    """The tenant's working hours and weekend. Without one, 08:30–17:30, Monday to Friday."""

    # A foreign key with a unique constraint rather than a one-to-one field: the admin's
    # tenant scoping follows many-to-one `tenant` fields.
    tenant = models.ForeignKey(
        "directory.Tenant", on_delete=models.CASCADE, related_name="+", verbose_name=_("平台")
    )
    day_start = models.TimeField(_("上班时间"), default=dt.time(8, 30))
    day_end = models.TimeField(_("下班时间"), default=dt.time(17, 30))
    weekend_days = models.JSONField(
        _("周休日"),
        default=default_weekend,
        help_text=_("ISO 星期序号列表：1 为周一，7 为周日；默认 [6, 7]"),
    )

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_calendar_per_tenant")]

    def __str__(self) -> str:
        return str(_("工作日历"))


class CalendarDay(models.Model):
    """One listed day: a public holiday (法定节假日) or a make-up working day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("节假日（不上班）")
        WORKDAY = "workday", _("调休上班")

    tenant = models.ForeignKey(
        "directory.Tenant", on_delete=models.CASCADE, related_name="+", verbose_name=_("平台")
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("例如：春节"))

    objects = ScopedManager(tenant="tenant")

    history = HistoricalRecords(verbose_name=_("修改历史"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="calendar_day_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
