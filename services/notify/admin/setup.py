"""What a tenant administrator sets up: SMS settings, templates (with a preview), opt-outs."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from services.directory import api as directory
from services.identifiers.phones import normalise_phone
from services.privacy import mask_phone, phone_hash

from ..models import NotifySettings, OptOut, SmsTemplate
from ..texts import default_text, install_defaults, preview, segments
from .phones import MaskedNumbers


@admin.register(NotifySettings)
class NotifySettingsAdmin(admin.ModelAdmin):
    list_display = (
        "tenant",
        "quiet_start",
        "quiet_end",
        "time_zone",
        "survey_window_days",
        "survey_reminder_after_hours",
        "progress_sms",
        "staff_sms_alerts",
    )
    fieldsets = (
        (None, {"fields": ("tenant", "language", "time_zone")}),
        (_("免打扰时段"), {"fields": ("quiet_start", "quiet_end")}),
        (_("满意度回访"), {"fields": ("survey_window_days", "survey_reminder_after_hours")}),
        (_("通知"), {"fields": ("progress_sms", "staff_sms_alerts")}),
        (_("短信账号"), {"fields": ("twilio_credentials_ref",)}),
    )


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "language", "short_text", "updated_at")
    list_filter = ("kind", "language")
    fields = ("tenant", "kind", "language", "text", "rendered")
    readonly_fields = ("rendered",)

    @admin.display(description=_("内容"))
    def short_text(self, obj: SmsTemplate) -> str:
        return obj.text[:60]

    @admin.display(description=_("预览（示例数据）"))
    def rendered(self, obj: SmsTemplate) -> str:
        if not obj.pk:
            return str(_("保存后显示预览。"))
        text = preview(obj.kind, obj.text)
        return format_html(
            '<div style="white-space:pre-wrap;max-width:40em">{}</div><p>{}</p>',
            text,
            _("约 %(n)d 条短信计费（%(chars)d 字）") % {"n": segments(text), "chars": len(text)},
        )

    def get_changeform_initial_data(self, request):
        """Adding a template starts from the default text of the chosen kind and language."""
        initial = super().get_changeform_initial_data(request)
        kind, language = initial.get("kind"), initial.get("language", "zh-hans")
        if kind:
            initial.setdefault("text", default_text(str(kind), str(language)))
        return initial

    def changelist_view(self, request, extra_context=None):
        # A tenant administrator finds every template there to edit, starting from the defaults.
        staff = getattr(request, "staff", None)
        if staff is not None:
            install_defaults(staff.tenant_id)
        return super().changelist_view(request, extra_context)


class OptOutForm(forms.ModelForm):
    """Stores the number as every lookup reads it (E.164, by the tenant's region), however
    staff typed it on the phone call."""

    class Meta:
        model = OptOut
        fields = ("tenant", "phone", "source")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        tenant, phone = data.get("tenant"), data.get("phone")
        if tenant is not None and phone:
            try:
                data["phone"] = normalise_phone(phone, tenant.phone_region)
            except ValidationError as invalid:
                self.add_error("phone", invalid)
        return data


@admin.register(OptOut)
class OptOutAdmin(MaskedNumbers, admin.ModelAdmin):
    """A number can be added on a citizen's phone call, or removed when they ask to resume."""

    masked_fields = {"phone": "masked_phone"}
    form = OptOutForm

    list_display = ("masked_phone", "source", "created_at")
    search_fields = ("phone_hash",)  # shows the box; get_search_results decides
    search_help_text = _("输入手机号码（精确匹配）")
    fields = ("tenant", "phone", "source", "created_at")
    readonly_fields = ("created_at",)

    def get_search_results(self, request, queryset, search_term):
        # The number as typed, normalised and hashed: the lookup never compares plaintext.
        if not search_term.strip():
            return queryset, False
        staff = directory.staff_info(request.user)
        region = directory.get_tenant(staff.tenant_id).phone_region if staff else "CN"
        try:
            digest = phone_hash(normalise_phone(search_term, region))
        except ValidationError:
            return queryset.none(), False
        return queryset.filter(phone_hash=digest), False

    @admin.display(description=_("号码"))
    def masked_phone(self, obj: OptOut) -> str:
        return mask_phone(obj.phone)
