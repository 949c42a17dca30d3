"""Activates the django-scopes tenant scope for each request, in one place for every view."""

from django_scopes import scope, scopes_disabled

from .staff import staff_info


class TenantScopeMiddleware:
    """Staff see only their tenant; platform operators (superusers) see all; anonymous
    requests get no scope, so any scoped query they reach raises instead of leaking."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.is_superuser:
                with scopes_disabled():
                    return self.get_response(request)
            staff = staff_info(user)
            request.staff = staff
            if staff is not None:
                with scope(tenant=staff.tenant_id):
                    return self.get_response(request)
            # A logged-in user with no tenant gets an empty scope: sees nothing.
            with scope(tenant=None):
                return self.get_response(request)
        return self.get_response(request)
