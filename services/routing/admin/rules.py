"""Routing rules in the admin: edited with validation, tried out on a case (试运行)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from services.directory.api import region_choices

from .. import trial
from ..models import RoutingDecision, RoutingRule
from ..models.rules import CHANNEL_CHOICES, PRIORITY_CHOICES
from . import access
from .forms import RoutingRuleForm


@admin.register(RoutingRule)
class RoutingRuleAdmin(access.StaffTenantForm, admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("order", "name", "department", "active", "updated_at")
    list_display_links = ("name",)
    list_editable = ("order", "active")
    list_filter = ("active", "department")
    search_fields = ("name",)
    filter_horizontal = ("co_departments",)
    change_list_template = "admin/routing/routingrule/change_list.html"
    fieldsets = [
        (None, {"fields": ["tenant", "name", "order", "active"]}),
        (
            _("条件（全部满足才匹配）"),
            {
                "fields": [
                    "scenarios_text",
                    "region",
                    "channels_choice",
                    "priority",
                    "keywords_text",
                    "conditions_text",
                ]
            },
        ),
        (
            _("分拨动作"),
            {
                "fields": [
                    "department",
                    "nearest_officer_km",
                    "co_departments",
                    "set_priority",
                    "deadline_policy",
                ]
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return self.fieldsets
        first, *rest = self.fieldsets
        return [(None, {"fields": [f for f in first[1]["fields"] if f != "tenant"]}), *rest]

    def get_urls(self):
        return [
            path(
                "try/",
                self.admin_site.admin_view(self.try_view),
                name="routing_routingrule_try",
            ),
            *super().get_urls(),
        ]

    def try_view(self, request):
        """试运行: which rule a case (existing, by id, or a sample) would match, and why not
        the earlier ones. Reads only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tenant_id = None if request.user.is_superuser else access.tenant_id(request)
        form = TryForm(request.POST or None, tenant_id=tenant_id)
        result, error = None, ""
        if request.method == "POST" and form.is_valid():
            try:
                result = form.run()
            except (LookupError, ValueError, PermissionDenied) as exc:
                error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("分拨规则试运行"),
            "form": form,
            "result": result,
            "error": error,
        }
        return TemplateResponse(request, "admin/routing/routingrule/try.html", context)


class TryForm(forms.Form):
    case_id = forms.IntegerField(
        label=_("已有案件 ID"),
        required=False,
        min_value=1,
        help_text=_("填写则按该案件试运行，下列样例字段不用填"),
    )
    scenario_code = forms.CharField(label=_("场景代码"), required=False)
    region = forms.TypedChoiceField(
        label=_("区域"), required=False, coerce=int, empty_value=None, choices=[]
    )
    channel = forms.ChoiceField(label=_("渠道"), choices=CHANNEL_CHOICES, initial="qr")
    priority = forms.TypedChoiceField(
        label=_("优先级"), choices=PRIORITY_CHOICES, coerce=int, initial=0
    )
    description = forms.CharField(
        label=_("问题描述"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    extra = forms.CharField(
        label=_("场景字段"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个，如 workers_affected=12"),
    )
    latitude = forms.FloatField(
        label=_("纬度"), required=False, min_value=-90, max_value=90, help_text=_("如 28.3734")
    )
    longitude = forms.FloatField(
        label=_("经度"),
        required=False,
        min_value=-180,
        max_value=180,
        help_text=_("如 121.3872；填写位置可试运行就近派遣"),
    )

    def __init__(self, *args, tenant_id: int | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id
        choices = region_choices(tenant_id) if tenant_id is not None else []
        self.fields["region"].choices = [("", _("不指定")), *choices]  # type: ignore[attr-defined]  # a ChoiceField

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("case_id") is None:
            if self.tenant_id is None:
                raise forms.ValidationError(_("平台运维账号请填写已有案件 ID 试运行。"))
            if not data.get("scenario_code"):
                self.add_error("scenario_code", _("请填写场景代码，或填写已有案件 ID。"))
            try:
                data["extra_values"] = trial.parse_extra(data.get("extra", ""))
            except ValueError as exc:
                self.add_error("extra", str(exc))
            if (data.get("latitude") is None) != (data.get("longitude") is None):
                self.add_error("longitude", _("位置需同时填写纬度和经度。"))
        return data

    def run(self) -> trial.Trial:
        data = self.cleaned_data
        if data.get("case_id") is not None:
            return trial.try_existing_case(self.tenant_id, data["case_id"])
        return trial.try_sample(
            self.tenant_id,  # type: ignore[arg-type]  # clean() refused a sample without one
            scenario_code=data["scenario_code"].strip(),
            region_id=data.get("region"),
            channel=data["channel"],
            priority=data["priority"],
            description=data.get("description", ""),
            extra=data["extra_values"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        )


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    """分拨记录: what routing did, read-only."""

    list_display = ("case_id", "outcome", "rule", "department", "returned", "decided_at")
    list_filter = ("outcome", "returned")
    search_fields = ("=case_id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
