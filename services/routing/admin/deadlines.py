"""Deadline policies, the working calendar, running deadlines and extension requests."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from services.directory.admin_site import ModelAdminMixin
from services.directory.api import Capability

from .. import deadlines, extensions, holidays, validation
from ..models import CalendarDay, CaseDeadline, DeadlineExtension, DeadlinePolicy, WorkCalendar
from . import access


class OwnTenantAdmin(access.StaffTenantForm, admin.ModelAdmin):
    """Staff never choose a tenant: their rows are their own tenant's."""

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return excluded if request.user.is_superuser else [*excluded, "tenant"]


class TenantCheckedForm(forms.ModelForm):
    """A form whose checks need the tenant: the staff member's, or the posted one for the
    platform operator."""

    staff_tenant_id: int | None = None

    def tenant_id(self) -> int | None:
        if self.staff_tenant_id is not None:
            return self.staff_tenant_id
        tenant = self.cleaned_data.get("tenant")
        return tenant.pk if tenant is not None else self.instance.tenant_id

    def others(self, model, tenant_id: int):
        """The tenant's rows of `model` other than the one being edited."""
        with scopes_disabled():
            return model.objects.filter(tenant_id=tenant_id).exclude(pk=self.instance.pk)

    def check(self, run) -> None:
        try:
            run()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)


class DeadlinePolicyForm(TenantCheckedForm):
    def clean(self):
        super().clean()
        data = self.cleaned_data
        tenant_id = self.tenant_id()
        if tenant_id is not None:
            others = self.others(DeadlinePolicy, tenant_id)
            self.check(
                lambda: validation.check_policy_scope(
                    tenant_id, data.get("scenario_code", ""), data.get("is_default", False), others
                )
            )
        return data


class CalendarDayForm(TenantCheckedForm):
    def clean(self):
        super().clean()
        data = self.cleaned_data
        tenant_id = self.tenant_id()
        if tenant_id is not None and data.get("date"):
            others = self.others(CalendarDay, tenant_id)
            self.check(lambda: validation.check_calendar_day_free(others, data["date"]))
        return data


WEEKDAYS = [
    (1, _("周一")),
    (2, _("周二")),
    (3, _("周三")),
    (4, _("周四")),
    (5, _("周五")),
    (6, _("周六")),
    (7, _("周日")),
]


class WeekdaysField(forms.TypedMultipleChoiceField):
    """周休日 as seven checkboxes, stored as the ISO weekday numbers the calendar reads."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=WEEKDAYS,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def prepare_value(self, value):
        return [str(day) for day in value or []]

    def clean(self, value):
        return sorted(set(super().clean(value)))


class WorkCalendarForm(TenantCheckedForm):
    weekend_days = WeekdaysField(label=_("周休日"), help_text=_("勾选不上班的日子"))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        self.check(
            lambda: validation.check_working_hours(
                data.get("day_start"), data.get("day_end"), data.get("weekend_days")
            )
        )
        tenant_id = self.tenant_id()
        if tenant_id is not None and self.others(WorkCalendar, tenant_id).exists():
            self.add_error(None, _("本平台已有工作日历，请直接修改它。"))
        return data


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(OwnTenantAdmin):
    form = DeadlinePolicyForm
    list_display = (
        "name",
        "scenario_code",
        "is_default",
        "sign_for_limit",
        "sign_for_unit",
        "resolve_limit",
        "resolve_unit",
        "warn_share",
    )


class NextYearWarning(ModelAdminMixin):
    """Warns on the calendar pages when next year's 法定节假日 are missing (from November)."""

    def changelist_view(self, request, extra_context=None):
        tenant_id = access.tenant_id(request)
        today = timezone.localdate()
        if (
            tenant_id is not None
            and today.month >= holidays.WARN_FROM_MONTH
            and tenant_id in holidays.tenants_missing_year(today.year + 1)
        ):
            messages.warning(
                request,
                _(
                    "工作日历还没有 %(year)s 年的法定节假日和调休：请在“工作日历”中选中日历"
                    "（没有则先新增一个），执行“导入法定节假日”。"
                )
                % {"year": today.year + 1},
            )
        return super().changelist_view(request, extra_context)


@admin.register(WorkCalendar)
class WorkCalendarAdmin(NextYearWarning, OwnTenantAdmin):
    form = WorkCalendarForm
    list_display = ("__str__", "day_start", "day_end", "weekend_days")
    actions = ["import_official_holidays"]

    @admin.action(description=_("导入法定节假日（今年和明年，国务院办公厅通知）"))
    def import_official_holidays(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        this_year = timezone.localdate().year
        for calendar in queryset.select_related("tenant"):
            for year in (this_year, this_year + 1):
                try:
                    count = holidays.import_official_year(calendar.tenant, year)
                except holidays.YearNotPublished:
                    messages.warning(
                        request,
                        _("%(year)s 年的安排尚未收录（通知未发布或需升级 chinesecalendar）。")
                        % {"year": year},
                    )
                else:
                    messages.success(
                        request,
                        _("%(tenant)s：已导入 %(year)s 年的 %(count)s 个节假日和调休日。")
                        % {"tenant": calendar.tenant, "year": year, "count": count},
                    )


@admin.register(CalendarDay)
class CalendarDayAdmin(NextYearWarning, OwnTenantAdmin):
    form = CalendarDayForm
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"


COLOUR_LABELS = {"green": _("绿灯"), "yellow": _("黄灯"), "red": _("红灯")}


@admin.register(CaseDeadline)
class CaseDeadlineAdmin(admin.ModelAdmin):
    """案件时限: every assignment with its deadlines; the colour is computed on display."""

    list_display = (
        "case_id",
        "department",
        "assigned_at",
        "sign_due",
        "signed_at",
        "resolve_due",
        "resolved_at",
        "colour",
        "escalated_at",
    )
    list_filter = ("current", "department")
    search_fields = ("=case_id",)

    @admin.display(description=_("预警"))
    def colour(self, obj: CaseDeadline) -> str:
        if not obj.current or obj.resolved_at or obj.resolve_due is None:
            return "—"
        row = {f: getattr(obj, f) for f in ("signed_at", "sign_due", "sign_warn_at")}
        row |= {"resolve_due": obj.resolve_due, "resolve_warn_at": obj.resolve_warn_at}
        return str(COLOUR_LABELS[deadlines.colour_of(row, timezone.now())])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(admin.ModelAdmin):
    """Department staff ask on the case page (intake's 申请延期); dispatchers decide here with
    the list actions. Decisions and requests land in the case timeline."""

    list_display = (
        "case_link",
        "phase",
        "amount",
        "unit",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
    )
    list_filter = ("status", "phase")
    search_fields = ("=case_id",)
    actions = ["approve", "reject"]
    readonly_fields = ("status", "requested_by", "decided_by", "decided_at", "decision_note")

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("requested_by", "decided_by")
        info = access.request_staff(request)
        if request.user.is_superuser or access.can(request, Capability.DECIDE_EXTENSIONS):
            return rows
        if info is None:
            return rows.none()
        return rows.filter(deadline__department_id__in=info.department_ids)

    @admin.display(description=_("案件"), ordering="case_id")
    def case_link(self, obj: DeadlineExtension) -> str:
        """To the case page, where the request was made and the timeline shows it."""
        url = reverse("admin:intake_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case_id)

    # Who asks and who decides are the policy's (REQUEST_/DECIDE_EXTENSIONS), not the
    # model-permission table: a workflow model, like intake's transitions.
    def _role_ok(self, request) -> bool:
        if request.user.is_superuser:
            return True  # the operator decides nothing in a tenant's workflow but may look
        return access.can(request, Capability.REQUEST_EXTENSIONS) or access.can(
            request, Capability.DECIDE_EXTENSIONS
        )

    def has_module_permission(self, request) -> bool:
        return self._role_ok(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._role_ok(request)

    def has_add_permission(self, request) -> bool:
        return False  # asked for on the case page, where the case is at hand

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return access.can(request, Capability.DECIDE_EXTENSIONS)

    @admin.action(description=_("批准所选延期申请"), permissions=["decide"])
    def approve(self, request, queryset) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("驳回所选延期申请"), permissions=["decide"])
    def reject(self, request, queryset) -> None:
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve: bool) -> None:
        done = 0
        for extension in queryset.filter(status=DeadlineExtension.Status.PENDING):
            try:
                extensions.decide_extension(extension.pk, request.user, approve=approve)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{extension.case_id}：{' '.join(_messages(exc))}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(
                request, _("已处理 %(n)d 条延期申请。") % {"n": done}, messages.SUCCESS
            )


def _messages(exc: Exception) -> list[str]:
    return list(getattr(exc, "messages", None) or [str(exc)])
