"""Who the requesting user is, for routing's admin pages (thin: the rules live in services)."""

from services.directory.api import StaffInfo, staff_info


def staff(request) -> StaffInfo | None:
    if not hasattr(request, "staff"):
        request.staff = staff_info(request.user)
    return request.staff


def tenant_id(request) -> int | None:
    """The user's tenant; None for the platform operator (superuser) or a user without one."""
    info = staff(request)
    return info.tenant_id if info is not None else None


def is_dispatcher(request) -> bool:
    info = staff(request)
    return request.user.is_superuser or (info is not None and info.is_dispatcher)


class StaffTenantForm:
    """Hands each admin form the staff member's tenant (None for the platform operator), which
    its checks need. Saving needs nothing: the tenant-scoped admin site stamps the tenant."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.staff_tenant_id = None if request.user.is_superuser else tenant_id(request)
        return form
