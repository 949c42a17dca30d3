"""The unread-alert count in every staff page's header (the admin's user links)."""

from django.http import HttpRequest

from .alerts import unread_alert_count


def staff_alerts(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    # A callable: the template runs the query only on pages that show the count.
    return {"unread_alert_count": lambda: unread_alert_count(user.pk)}
