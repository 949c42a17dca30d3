"""What a tenant administrator sets up: SMS settings, templates (with a preview), opt-outs."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from services.directory import api as directory
from services.identifiers.phones import normalise_phone
from services.privacy import mask_phone, phone_hash

from ..aliyun import variable_names
from ..callbacks import aliyun_callback_urls
from ..credentials import rotate_callback_secret
from ..models import NotifySettings, OptOut, ProviderTemplate, SmsTemplate, sms_backend_choices
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
        (
            _("短信服务商"),
            {
                "fields": (
                    "sms_backend",
                    "twilio_credentials_ref",
                    "sms_sign_name",
                    "aliyun_credentials_ref",
                )
            },
        ),
    )

    actions = ["new_callback_secret"]

    @admin.action(description=_("更换回执地址密钥（旧地址随即失效）"), permissions=["change"])
    def new_callback_secret(self, request, queryset) -> None:
        for prefs in queryset:
            rotate_callback_secret(prefs.tenant_id)
        self.message_user(
            request, _("已更换。请在阿里云短信控制台填入新的回执推送地址。"), messages.WARNING
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "sms_backend":
            # The registry is settings (SMS_BACKENDS): its names are the choices.
            kwargs["widget"] = forms.Select(choices=sms_backend_choices())
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            # The URLs carry the secret that authenticates Aliyun's pushes: only for those
            # who may configure the tenant's SMS, not for every reader of these settings.
            fieldsets = (*fieldsets, (_("阿里云回执地址"), {"fields": ("callback_urls",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "callback_urls")

    @admin.display(description=_("回执推送地址"))
    def callback_urls(self, obj: NotifySettings) -> str:
        urls = aliyun_callback_urls(obj.tenant_id)
        return format_html(
            "<p>{}<br><code>{}</code></p><p>{}<br><code>{}</code></p><p>{}</p>",
            _("短信发送状态（SmsReport）："),
            urls["report"],
            _("上行短信（SmsUp）："),
            urls["up"],
            _("在阿里云短信控制台“通用设置 › 消息回执设置”中选择 HTTP 批量推送并填入以上地址。"),
        )


@admin.register(ProviderTemplate)
class ProviderTemplateAdmin(admin.ModelAdmin):
    """The templates the provider approved (Aliyun's TemplateCode per kind of SMS)."""

    list_display = ("kind", "template_code", "variables", "updated_at")
    fields = ("tenant", "kind", "template_code", "variables")
    readonly_fields = ("variables",)

    @admin.display(description=_("模板变量"))
    def variables(self, obj: ProviderTemplate) -> str:
        if not obj.kind:
            return "—"
        return "、".join(f"${{{name}}}" for name in variable_names(obj.kind)) or "—"


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
