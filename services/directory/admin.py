"""What a tenant administrator sets up: regions, departments and staff with their roles.

Thin: rows are scoped to the tenant by the admin site (admin_site.py); writing goes through
services.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .models import Department, Region, Staff, Tenant
from .policy import Capability, Role, roles_with
from .services import create_login, save_region


class TenantForm(forms.ModelForm):
    # Ticked by the roles' names, stored as the list of their codes.
    two_factor_roles = forms.TypedMultipleChoiceField(
        label=_("需要两步验证的角色"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("勾选的角色登录时除密码外还须输入手机身份验证器（TOTP）上的动态码"),
    )

    class Meta:
        model = Tenant
        fields = [
            "name",
            "slug",
            "hotline",
            "phone_region",
            "sms_number",
            "sms_to_foreign_numbers",
            "retention_days",
            "desk_idle_minutes",
            "two_factor_roles",
        ]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    form = TenantForm
    list_display = ("name", "slug", "hotline", "sms_number", "sms_to_foreign_numbers")

    def get_readonly_fields(self, request, obj=None):
        # The code is in every URL and log line; only the platform operator renames it.
        return () if request.user.is_superuser else ("slug",)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name",)
    ordering = ("path",)

    def get_readonly_fields(self, request, obj=None):
        return ("parent",) if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        save_region(obj)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "region")
    search_fields = ("name", "code")


class StaffForm(forms.ModelForm):
    """Adding staff creates their login too; the role and departments are the Staff row."""

    username = forms.CharField(label=_("登录名"), max_length=150, required=False)
    full_name = forms.CharField(label=_("姓名"), max_length=150, required=False)
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput, required=False, strip=False
    )

    class Meta:
        model = Staff
        # Relations are added by the admin (get_fields) with tenant-scoped choices; a queryset
        # built here, at import, would have no tenant scope.
        fields = ("role", "is_department_head", "phone")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if self.instance.pk is None:
            if not username:
                raise forms.ValidationError(_("请填写登录名。"))
            if get_user_model().objects.filter(username=username).exists():
                raise forms.ValidationError(_("登录名“%(name)s”已被使用。") % {"name": username})
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if self.instance.pk is None:
            if not password:
                raise forms.ValidationError(_("请设置初始密码。"))
            validate_password(password)
        return password

    def clean(self):
        super().clean()
        data = self.cleaned_data
        in_departments = data.get("role") in roles_with(Capability.WORKS_IN_DEPARTMENTS)
        if in_departments and not data.get("departments"):
            self.add_error("departments", _("部门工作人员至少属于一个部门。"))
        if data.get("is_department_head") and not in_departments:
            self.add_error("is_department_head", _("只有部门工作人员可以是部门负责人。"))
        return data


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    form = StaffForm
    list_display = ("user", "full_name", "role", "is_department_head", "is_active")
    list_filter = ("role", "departments")
    search_fields = ("user__username", "user__first_name", "phone")
    list_select_related = ("user",)
    filter_horizontal = ("departments",)

    def get_fields(self, request, obj=None):
        fields = ["role", "departments", "is_department_head", "phone", "region"]
        if request.user.is_superuser:
            fields.insert(0, "tenant")  # the operator picks the tenant; staff never do
        if obj is None:
            return ["username", "full_name", "password", *fields]
        return fields

    @admin.display(description=_("姓名"))
    def full_name(self, obj: Staff) -> str:
        return obj.user.get_full_name()

    @admin.display(description=_("启用"), boolean=True)
    def is_active(self, obj: Staff) -> bool:
        return obj.user.is_active

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.user = create_login(
                form.cleaned_data["username"],
                form.cleaned_data["password"],
                form.cleaned_data["full_name"],
            )
        super().save_model(request, obj, form, change)
