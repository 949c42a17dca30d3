"""What tenant administrators set up: scenarios with their fields, and QR entry points.

Thin: declarations are validated by the models' clean(), posters drawn by entry_points.py.
"""

import io

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from services import public_urls
from services.directory import api as directory

from ..entry_points import write_posters
from ..models import Case, EntryPoint, EntryPointScan, Scenario, ScenarioField


class ScenarioFieldForm(forms.ModelForm):
    """Options typed one per line, instead of JSON."""

    choices_text = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 20}),
        help_text=_("单选/多选字段：每行一个选项"),
    )

    class Meta:
        model = ScenarioField
        fields = (
            "order",
            "name",
            "label",
            "kind",
            "required",
            "min_value",
            "max_value",
            "max_length",
            "help_text",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choices_text"].initial = "\n".join(self.instance.choices or [])

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        lines = (cleaned.get("choices_text") or "").splitlines()
        self.instance.choices = [line.strip() for line in lines if line.strip()]
        return cleaned

    def _update_errors(self, errors) -> None:
        # The model reports option errors on `choices`, which this form shows as choices_text.
        if hasattr(errors, "error_dict") and "choices" in errors.error_dict:
            errors.error_dict["choices_text"] = errors.error_dict.pop("choices")
        super()._update_errors(errors)  # type: ignore[misc]  # BaseModelForm's, not in stubs


class ScenarioFieldInline(admin.TabularInline):
    model = ScenarioField
    form = ScenarioFieldForm
    extra = 0
    fields = (
        *ScenarioFieldForm.Meta.fields[:5],
        "choices_text",
        *ScenarioFieldForm.Meta.fields[5:],
    )


def _tenant_id(request: HttpRequest) -> int | None:
    staff = directory.staff_info(request.user)
    return staff.tenant_id if staff else None


class TenantOwnedAdmin(admin.ModelAdmin):
    """Staff create rows for their own tenant; only the platform operator picks one. (The
    request's tenant scope already limits every choice list to the staff member's tenant.)"""

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or ())
        return [*excluded, "tenant"] if _tenant_id(request) else excluded

    def save_model(self, request, obj, form, change) -> None:
        if not change and _tenant_id(request):
            obj.tenant_id = _tenant_id(request)
        super().save_model(request, obj, form, change)


@admin.register(Scenario)
class ScenarioAdmin(TenantOwnedAdmin):
    list_display = ("name", "code", "active", "confidential", "max_photos", "promise_days")
    inlines = [ScenarioFieldInline]


def _count_of(model) -> Coalesce:
    """Rows of `model` pointing at each entry point, one indexed subquery per listed row.

    Unscoped: the subquery is tied to the listed entry point, which the admin scopes."""
    with scopes_disabled():
        rows = (
            model.objects.filter(entry_point=OuterRef("pk"))
            .order_by()
            .values("entry_point")
            .annotate(n=Count("pk"))
            .values("n")
        )
    return Coalesce(Subquery(rows), 0)


@admin.register(EntryPoint)
class EntryPointAdmin(TenantOwnedAdmin):
    list_display = (
        "scenario",
        "place_label",
        "region",
        "active",
        "scan_count",
        "submission_count",
        "qr_links",
    )
    list_filter = ("active", "scenario")
    search_fields = ("place_label",)
    readonly_fields = ("token", "scan_count", "submission_count", "qr_links")
    actions = ["print_posters"]

    def get_queryset(self, request: HttpRequest):
        # Counted from the scans appended and the cases submitted: no counter row to lock.
        return (
            super()
            .get_queryset(request)
            .annotate(
                scans_counted=F("scan_count") + _count_of(EntryPointScan),
                submissions_counted=_count_of(Case),
            )
        )

    @admin.display(description=_("扫码次数"), ordering="scans_counted")
    def scan_count(self, obj: EntryPoint) -> int:
        return obj.scans_counted  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("提交次数"), ordering="submissions_counted")
    def submission_count(self, obj: EntryPoint) -> int:
        return obj.submissions_counted  # type: ignore[attr-defined]  # ditto

    @admin.display(description=_("二维码"))
    def qr_links(self, obj: EntryPoint) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">SVG</a> · <a href="{}">PNG</a> · <a href="{}">{}</a>',
            public_urls.entry_qr_image(obj.token, "svg"),
            public_urls.entry_qr_image(obj.token, "png"),
            public_urls.entry_form(obj.token),
            _("市民页面"),
        )

    @admin.action(description=_("打印所选二维码海报（A4 PDF）"))
    def print_posters(self, request: HttpRequest, queryset) -> HttpResponse | None:
        selected = list(queryset.select_related("tenant", "scenario", "region"))
        inactive = [ep for ep in selected if not ep.active]
        if inactive:
            self.message_user(
                request,
                _("已停用的二维码不能打印：%(codes)s") % {"codes": "、".join(map(str, inactive))},
                messages.ERROR,
            )
            return None
        buffer = io.BytesIO()
        pages = write_posters(selected, buffer)
        response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="posters-{pages}.pdf"'
        return response
