"""Who the requesting user is, for routing's admin pages (thin: the rules live in services)."""

from services.directory.admin_site import ModelAdminMixin, request_staff

__all__ = ["StaffTenantForm", "can", "request_staff", "tenant_id"]
from services.directory.api import Capability, policy


def tenant_id(request) -> int | None:
    """The user's tenant; None for the platform operator (superuser) or a user without one."""
    info = request_staff(request)
    return info.tenant_id if info is not None else None


def can(request, capability: Capability) -> bool:
    """Whether the requesting staff member's role holds `capability` (see policy.py)."""
    return policy.can(request_staff(request), capability)


class StaffTenantForm(ModelAdminMixin):
    """Hands each admin form the staff member's tenant (None for the platform operator), which
    its checks need. Saving needs nothing: the tenant-scoped admin site stamps the tenant."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # Read by the form's checks (a class attribute: the admin instantiates the form).
        form.staff_tenant_id = None if request.user.is_superuser else tenant_id(request)  # type: ignore[attr-defined]
        return form
