"""The admin site's own name for pages the admin does not render itself (the login lockout
page, rendered by django-axes without the admin's context)."""

from django import template
from django.contrib import admin

register = template.Library()


@register.simple_tag
def admin_site_header() -> str:
    return str(admin.site.site_header)


@register.simple_tag
def admin_site_title() -> str:
    return str(admin.site.site_title)
