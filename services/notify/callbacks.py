"""The callback URLs a tenant enters at its SMS provider (回执推送地址)."""

from django.conf import settings
from django.urls import reverse

from .credentials import callback_secret_for


def aliyun_callback_urls(tenant_id: int) -> dict[str, str]:
    """Where Aliyun pushes this tenant's delivery receipts ("report") and replies ("up")."""
    secret = callback_secret_for(tenant_id)
    return {
        name: settings.PUBLIC_BASE_URL
        + reverse(f"notify:aliyun_{name}", kwargs={"tenant_id": tenant_id, "secret": secret})
        for name in ("report", "up")
    }
