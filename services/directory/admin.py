"""What a tenant administrator sets up: regions, departments and staff with their roles.

Thin: rows are scoped to the tenant by the admin site (admin_site.py); writing goes through
services.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import boundaries, positions
from .admin_site import request_staff
from .models import Department, DutyPosition, Region, RegionBoundary, Staff, Tenant
from .policy import Capability, Role, roles_with
from .records import create_login, save_region


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
            "map_tile_url",
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
    list_display = ("name", "code", "level", "parent", "population")
    list_filter = ("level",)
    search_fields = ("name", "code")
    ordering = ("path",)

    def get_readonly_fields(self, request, obj=None):
        return ("parent",) if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        save_region(obj)


def _own_tenant_id(request) -> int:
    staff = request_staff(request)
    if staff is None:  # the view admits the operator and tenant staff only
        raise PermissionDenied
    return staff.tenant_id


class BoundaryUploadForm(forms.Form):
    tenant = forms.ModelChoiceField(label=_("平台"), queryset=Tenant.objects.none())
    file = forms.FileField(
        label=_("GeoJSON 文件"),
        help_text=_(
            "FeatureCollection，每个要素一个镇街：properties 中的 code（区划代码）或 name（名称）"
            "与本平台的镇街相同；几何为 Polygon 或 MultiPolygon，WGS-84 经纬度。上限 5 MB。"
        ),
    )

    def __init__(self, *args, operator: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if operator:
            tenant = self.fields["tenant"]
            if isinstance(tenant, forms.ModelChoiceField):  # as declared above
                tenant.queryset = Tenant.objects.order_by("name")
        else:
            del self.fields["tenant"]  # staff load their own tenant's, never another's


@admin.register(RegionBoundary)
class RegionBoundaryAdmin(admin.ModelAdmin):
    """镇街边界: listed, and replaced by uploading a file (never typed in as coordinates)."""

    list_display = ("region", "source", "uploaded_at")
    readonly_fields = ("region", "source", "uploaded_at")
    exclude = ("geometry", "min_latitude", "max_latitude", "min_longitude", "max_longitude")
    change_list_template = "admin/directory/regionboundary/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # the upload page adds them

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="directory_regionboundary_upload",
            ),
            *super().get_urls(),
        ]

    def may_upload(self, request) -> bool:
        # Uploading replaces rows: the same right as deleting them (the tenant administrator).
        return self.has_delete_permission(request)

    def upload_view(self, request):
        if not self.may_upload(request):
            raise PermissionDenied
        operator = request.user.is_superuser
        form = BoundaryUploadForm(request.POST or None, request.FILES or None, operator=operator)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            tenant_id = form.cleaned_data["tenant"].pk if operator else _own_tenant_id(request)
            upload = form.cleaned_data["file"]
            try:
                if upload.size > boundaries.MAX_BYTES:
                    raise ValidationError(
                        gettext("文件过大；上限 %(limit)d MB，请先简化边界。")
                        % {"limit": boundaries.MAX_BYTES // 1024 // 1024}
                    )
                loaded = boundaries.load(tenant_id, upload.read(), upload.name)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(
                    request,
                    gettext("已载入 %(n)d 个镇街的边界：%(names)s。")
                    % {"n": len(loaded.townships), "names": "、".join(loaded.townships)},
                )
                return redirect("admin:directory_regionboundary_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("上传镇街边界"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/directory/regionboundary/upload.html", context)

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "may_upload": self.may_upload(request)}
        return super().changelist_view(request, extra_context=extra)


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


@admin.register(DutyPosition)
class DutyPositionAdmin(admin.ModelAdmin):
    """在岗外勤: who shares a position for nearest-officer dispatch, and how recently. Written
    only by the officers' duty page (read-only here, for the command room)."""

    list_display = ("user", "on_duty_now", "reported_at", "accuracy_m")
    list_filter = ("on_duty",)
    fields = ("user", "on_duty", "reported_at", "latitude", "longitude", "accuracy_m")
    readonly_fields = fields

    @admin.display(description=_("在岗（定位未过期）"), boolean=True)
    def on_duty_now(self, row: DutyPosition) -> bool:
        return row.on_duty and positions.is_fresh(row.reported_at)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
