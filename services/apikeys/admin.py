"""接口密钥 in the tenant's admin: issued (raw key shown once), narrowed, revoked.

Who may see this page is the policy's (capability MANAGE_API_KEYS); which rows, the tenant
scoping of the admin site.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from services.directory import api as directory

from .keys import check_key_settings, issue, revoke
from .models import ApiKey
from .scopes import Scope


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("权限范围"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("密钥能做的事不超过它代表的工作人员，并再由这里收窄"),
    )

    class Meta:
        model = ApiKey
        fields = ("tenant", "name", "scopes", "acts_as")

    def clean(self):
        cleaned = super().clean() or {}
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        acts_as = cleaned.get("acts_as", self.instance.acts_as if self.instance.pk else None)
        if tenant is not None and "scopes" in cleaned:
            try:
                check_key_settings(tenant.pk, cleaned["scopes"], acts_as and acts_as.pk)
            except ValidationError as invalid:
                for field, errors in invalid.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scope_list", "acts_as", "last_used_at", "status")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    ordering = ("-created_at",)
    actions = ("revoke_keys",)
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        fields = ["tenant", "name", "scopes", "acts_as"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # The tenant and the person a key acts as are what it is: a new one is a new key.
        return () if obj is None else ("tenant", "acts_as", *self.readonly_fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        acts_as = form.base_fields.get("acts_as")
        staff = getattr(request, "staff", None) or directory.staff_info(request.user)
        if isinstance(acts_as, forms.ModelChoiceField) and staff is not None:
            # Users are the platform operator's to list; these are the tenant's own staff.
            acts_as.queryset = directory.staff_users(staff.tenant_id)
        return form

    @admin.display(description=gettext_lazy("权限范围"))
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    @admin.display(description=gettext_lazy("状态"))
    def status(self, key: ApiKey) -> str:
        return _("已吊销") if key.revoked_at else _("有效")

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
            request._raw_api_key = issue(obj)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: ApiKey, post_url_continue=None):
        """Shows the raw key on this one response, never stored nor redirected through a
        session or a message (both would keep it)."""
        response = TemplateResponse(
            request,
            "apikeys/key_created.html",
            {
                **self.admin_site.each_context(request),
                "key": obj,
                "raw_key": request._raw_api_key,
                "list_url": reverse("admin:apikeys_apikey_changelist"),
                "title": _("新密钥"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("吊销所选密钥"))
    def revoke_keys(self, request, queryset) -> None:
        revoked = sum(revoke(key.tenant_id, key.pk) for key in queryset)
        self.message_user(
            request,
            ngettext("已吊销 %(count)d 个密钥。", "已吊销 %(count)d 个密钥。", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
