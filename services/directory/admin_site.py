"""The one admin site, and the one place that decides which rows a staff member sees.

Every ModelAdmin registered on it — by any service, with `@admin.register` as usual — is
wrapped in `TenantScopedAdmin`, so lists, detail pages, actions, autocompletes, exports built
on `get_queryset`, foreign-key choices and list filters all show the user's tenant (平台) only.
Nobody has to remember to opt in. Superusers (the platform operator) see everything.

A model reaches its tenant through a `tenant` field, or one foreign key away (a scenario's
fields, a case's timeline), or is the tenant itself. Models with no path to a tenant (users,
groups, tasks, login attempts) belong to the platform operator alone.

A service that narrows rows further within a tenant — department staff see only the cases
their departments lead or co-handle — registers that rule once with `restrict_rows`, and it
then applies to every admin that lists that model, including foreign-key choices.
"""

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedFieldListFilter
from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet
from django.db.models.base import ModelBase
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Tenant
from .staff import StaffInfo, staff_info
from .two_factor import TwoFactorLoginForm

logger = logging.getLogger(__name__)

RowRule = Callable[[QuerySet, StaffInfo], QuerySet]

# Models a staff member never administers, whatever permissions the database grants:
# editing them would reach across tenants or make oneself a superuser.
PLATFORM_ONLY = frozenset({"auth.user", "auth.group", "auth.permission"})


def tenant_path(model: type[Model]) -> str | None:
    """The lookup from `model` to its tenant id ("tenant", "case__tenant"), or None."""
    if model is Tenant:
        return "pk"
    if model is get_user_model():
        return "staff__tenant"
    direct = _direct_tenant_field(model)
    if direct:
        return direct
    for field in model._meta.get_fields():
        if field.many_to_one and field.concrete and field.related_model is not None:
            inner = _direct_tenant_field(field.related_model)
            if inner:
                return f"{field.name}__{inner}"
    return None


def _direct_tenant_field(model: type[Model]) -> str | None:
    try:
        field = model._meta.get_field("tenant")
    except Exception:  # FieldDoesNotExist
        return None
    # A foreign key, or a one-to-one for a tenant's single settings row (短信设置).
    to_one = field.many_to_one or field.one_to_one
    return "tenant" if to_one and field.related_model is Tenant else None


def request_staff(request) -> StaffInfo | None:
    """The requesting user's staff role (set by TenantScopeMiddleware; computed otherwise)."""
    if not hasattr(request, "staff"):
        request.staff = staff_info(request.user)
    return request.staff


def _label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


class TenantAdminSite(admin.AdminSite):
    site_header = _("共治码 · 管理后台")
    site_title = _("共治码")
    index_title = _("工作台")
    login_form = TwoFactorLoginForm
    login_template = "directory/admin_login.html"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._row_rules: dict[str, RowRule] = {}
        self._wrapped: dict[type, type] = {}

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if options:
            admin_class = type(
                admin_class.__name__, (admin_class,), {**options, "__module__": __name__}
            )
        models: Iterable[type[Model]] = (
            [model_or_iterable]  # type: ignore[list-item]  # a ModelBase is a model class
            if isinstance(model_or_iterable, ModelBase)
            else model_or_iterable
        )
        for model in models:
            # Configuration with a change history (simple_history) gets its 历史 page too.
            if hasattr(model._meta, "simple_history_manager_attribute"):
                admin_class = self.scoped(admin_class, TenantHistoryAdmin)
            super().register(model, self.scoped(admin_class, TenantScopedAdmin))

    def scoped(self, admin_class: type, mixin: type) -> type:
        """`admin_class` with the scoping mixin in front (once, and the same class each time)."""
        if issubclass(admin_class, mixin):
            return admin_class
        if admin_class not in self._wrapped:
            self._wrapped[admin_class] = type(
                admin_class.__name__,
                (mixin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        return self._wrapped[admin_class]

    def restrict_rows(self, model: type[Model], rule: RowRule) -> None:
        """Narrows what staff of a tenant see of `model` (e.g. department staff's cases)."""
        self._row_rules[_label(model)] = rule

    def scope_rows(self, request, queryset: QuerySet) -> QuerySet:
        """The rows of `queryset` the requesting user may see: the single gate."""
        user = request.user
        if user.is_active and user.is_superuser:
            return queryset
        staff = request_staff(request)
        model = queryset.model
        path = tenant_path(model)
        if staff is None or path is None or _label(model) in PLATFORM_ONLY:
            return queryset.none()
        queryset = queryset.filter(**{path: staff.tenant_id})
        rule = self._row_rules.get(_label(model))
        return rule(queryset, staff) if rule else queryset

    def may_administer(self, request, model: type[Model]) -> bool:
        """Whether the model is a tenant's at all for this user (permissions come on top)."""
        if request.user.is_active and request.user.is_superuser:
            return True
        return (
            request_staff(request) is not None
            and tenant_path(model) is not None
            and _label(model) not in PLATFORM_ONLY
        )


if TYPE_CHECKING:
    # Base of the admin mixins (here and in the services' admin modules): they are put in
    # front of ModelAdmin / InlineModelAdmin classes, so the type checker reads them as one to
    # know what `super()` and `self` hold; at run time they stay plain mixins.
    ModelAdminMixin = admin.ModelAdmin
else:
    ModelAdminMixin = object


class _Scoping(ModelAdminMixin):
    """What list pages, forms and inlines share: scoped rows and scoped choices."""

    admin_site: "TenantAdminSite"

    def _tenant_choice(self, request, db_field) -> forms.ModelChoiceField | None:
        """A staff member's rows always belong to their own tenant: a fixed hidden value."""
        if db_field.name != "tenant" or db_field.related_model is not Tenant:
            return None
        staff = request_staff(request)
        if request.user.is_superuser or staff is None:
            return None
        tenant_id = staff.tenant_id
        return forms.ModelChoiceField(
            queryset=Tenant.objects.filter(pk=tenant_id),
            initial=tenant_id,
            widget=forms.HiddenInput,
            label=db_field.verbose_name,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        fixed = self._tenant_choice(request, db_field)
        if fixed is not None:
            return fixed
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scope_choices(request, field)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scope_choices(request, field)

    def _scope_choices(self, request, field):
        if field is not None and getattr(field, "queryset", None) is not None:
            field.queryset = self.admin_site.scope_rows(request, field.queryset)
        return field

    def has_view_permission(self, request, obj=None) -> bool:
        return self.admin_site.may_administer(request, self.model) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request, *args) -> bool:
        return self.admin_site.may_administer(request, self.model) and super().has_add_permission(
            request, *args
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return self.admin_site.may_administer(
            request, self.model
        ) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.admin_site.may_administer(
            request, self.model
        ) and super().has_delete_permission(request, obj)


class TenantScopedInline(_Scoping):
    def get_queryset(self, request):
        return self.admin_site.scope_rows(request, super().get_queryset(request))


class TenantScopedAdmin(_Scoping):
    """Put in front of every registered ModelAdmin by TenantAdminSite.register."""

    def get_queryset(self, request):
        return self.admin_site.scope_rows(request, super().get_queryset(request))

    def get_inlines(self, request, obj):
        return [
            self.admin_site.scoped(inline, TenantScopedInline)
            for inline in super().get_inlines(request, obj)
        ]

    def has_module_permission(self, request) -> bool:
        return self.admin_site.may_administer(
            request, self.model
        ) and super().has_module_permission(request)

    def get_list_filter(self, request):
        return [_scoped_filter(self.model, spec) for spec in super().get_list_filter(request)]

    def save_model(self, request, obj, form, change) -> None:
        staff = request_staff(request)
        if not request.user.is_superuser and staff is not None and _direct_tenant_field(obj):
            obj.tenant_id = staff.tenant_id  # never trust a posted tenant
        super().save_model(request, obj, form, change)


class TenantHistoryAdmin(SimpleHistoryAdmin):
    """The 历史 page (who changed what, when) of a configuration model, for the rows of the
    user's own tenant only, even for a row since deleted."""

    def get_history_queryset(self, request, history_manager, pk_name: str, object_id: str):
        rows = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if request.user.is_superuser:
            return rows
        info = request_staff(request)
        path = "id" if self.model is Tenant else tenant_path(self.model)
        if info is None or path is None:
            return rows.none()
        return rows.filter(**{path: info.tenant_id})


class TenantRelatedFieldListFilter(RelatedFieldListFilter):
    """A related-field filter whose choices are the user's tenant's rows only."""

    def field_choices(self, field, request, model_admin):
        queryset = field.related_model._default_manager.all()
        allowed = model_admin.admin_site.scope_rows(request, queryset).values("pk")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to=Q(pk__in=allowed)
        )


def _scoped_filter(model: type[Model], spec):
    """Plain relation names in `list_filter` get the scoped filter; explicit ones stay."""
    if not isinstance(spec, str):
        return spec
    try:
        field = _follow(model, spec)
    except Exception:
        return spec
    if field is not None and field.is_relation and not field.auto_created:
        return (spec, TenantRelatedFieldListFilter)
    return spec


def _follow(model, path: str):
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model
    return field
