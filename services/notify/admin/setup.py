"""What a tenant administrator sets up: SMS settings, templates (with a preview), opt-outs."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import NotifySettings, OptOut, SmsTemplate
from ..privacy import mask_phone
from ..texts import default_text, install_defaults, preview, segments


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
            return _("保存后显示预览。")
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
            initial.setdefault("text", default_text(kind, language))
        return initial

    def changelist_view(self, request, extra_context=None):
        # A tenant administrator finds every template there to edit, starting from the defaults.
        staff = getattr(request, "staff", None)
        if staff is not None:
            install_defaults(staff.tenant_id)
        return super().changelist_view(request, extra_context)


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    """A number can be added on a citizen's phone call, or removed when they ask to resume."""

    list_display = ("masked_phone", "source", "created_at")
    search_fields = ("=phone",)
    fields = ("tenant", "phone", "source", "created_at")
    readonly_fields = ("created_at",)

    @admin.display(description=_("号码"))
    def masked_phone(self, obj: OptOut) -> str:
        return mask_phone(obj.phone)
