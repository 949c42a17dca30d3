"""Makes `django.contrib.admin.site` the tenant-scoped site (listed in INSTALLED_APPS in place of
"django.contrib.admin"), so every service's `@admin.register` is scoped without opting in."""

from django.contrib.admin.apps import AdminConfig


class TenantAdminConfig(AdminConfig):
    default_site = "services.directory.admin_site.TenantAdminSite"
