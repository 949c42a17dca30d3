"""Who a logged-in user is to the services (职员): their tenant, role and departments."""

from dataclasses import dataclass

from django_scopes import scopes_disabled

from . import policy
from .models import Staff
from .policy import Capability


@dataclass(frozen=True)
class StaffInfo:
    """What the other services need to know about a logged-in user."""

    user_id: int
    tenant_id: int
    role: str
    department_ids: frozenset[int]
    is_department_head: bool
    region_id: int | None = None  # a reception desk's township

    def can(self, capability: Capability) -> bool:
        """Whether their role holds `capability` (see policy.py)."""
        return policy.can(self, capability)


def staff_info(user) -> StaffInfo | None:
    """The user's role in their tenant, or None for anonymous users and platform operators."""
    if not getattr(user, "is_authenticated", False):
        return None
    with scopes_disabled():
        staff = Staff.objects.filter(user_id=user.pk).prefetch_related("departments").first()
        if staff is None:
            return None
        return StaffInfo(
            user_id=user.pk,
            tenant_id=staff.tenant_id,
            role=staff.role,
            department_ids=frozenset(d.pk for d in staff.departments.all()),
            is_department_head=staff.is_department_head,
            region_id=staff.region_id,
        )
