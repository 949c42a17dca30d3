"""A tenant's notify settings, created with the deployment's defaults on first use."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from .models import NotifySettings
from .quiet_hours import release_time


def settings_for(tenant_id: int) -> NotifySettings:
    with scopes_disabled():
        found = NotifySettings.objects.filter(tenant_id=tenant_id).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return NotifySettings.objects.create(tenant_id=tenant_id)
        except IntegrityError:  # created meanwhile by another worker
            return NotifySettings.objects.get(tenant_id=tenant_id)


def quiet_until(tenant_id: int, now: datetime) -> datetime | None:
    """When the tenant's quiet hours containing `now` end, or None when sending is fine now."""
    prefs = settings_for(tenant_id)
    return release_time(now, prefs.quiet_start, prefs.quiet_end, prefs.time_zone)
