"""Public interface of the directory: who belongs to which tenant, region and department."""

from dataclasses import dataclass

from django_scopes import scopes_disabled

from .models import Department, Region, Staff, Tenant
from .services import create_region, create_staff

Role = Staff.Role
RegionLevel = Region.Level

__all__ = [
    "RegionLevel",
    "Role",
    "StaffContact",
    "StaffInfo",
    "create_department",
    "create_region",
    "create_staff",
    "create_tenant",
    "get_department",
    "get_region",
    "get_tenant",
    "staff_info",
    "staff_to_alert",
    "tenant_by_slug",
    "tenant_by_sms_number",
]


@dataclass(frozen=True)
class StaffInfo:
    """What the other services need to know about a logged-in user."""

    user_id: int
    tenant_id: int
    role: str
    department_ids: frozenset[int]
    is_department_head: bool

    @property
    def is_dispatcher(self) -> bool:
        return self.role in (Role.DISPATCHER, Role.TENANT_ADMIN)

    def handles(self, department_id: int | None) -> bool:
        return department_id is not None and department_id in self.department_ids


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
        )


@dataclass(frozen=True)
class StaffContact:
    user_id: int
    name: str
    phone: str


def staff_to_alert(tenant_id: int, department_id: int | None) -> list[StaffContact]:
    """Who hears about an overdue or escalated case: the department's heads and the
    tenant's dispatchers (督办对象)."""
    from django.db.models import Q

    with scopes_disabled():
        staff = (
            Staff.objects.filter(tenant_id=tenant_id)
            .filter(
                Q(role=Role.DISPATCHER)
                | Q(role=Role.DEPARTMENT, is_department_head=True, departments=department_id)
            )
            .select_related("user")
            .distinct()
        )
        return [
            StaffContact(s.user_id, s.user.get_full_name() or s.user.get_username(), s.phone)
            for s in staff
        ]


def get_tenant(tenant_id: int) -> Tenant:
    return Tenant.objects.get(pk=tenant_id)


def tenant_by_sms_number(number: str) -> Tenant | None:
    return Tenant.objects.filter(sms_number=number).first()


def tenant_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


def create_tenant(name: str, slug: str, **fields) -> Tenant:
    return Tenant.objects.create(name=name, slug=slug, **fields)


def create_department(
    tenant: Tenant, name: str, code: str, region: Region | None = None
) -> Department:
    return Department.objects.create(tenant=tenant, name=name, code=code, region=region)


def get_department(tenant_id: int, department_id: int) -> Department:
    with scopes_disabled():
        return Department.objects.get(tenant_id=tenant_id, pk=department_id)


def get_region(tenant_id: int, region_id: int) -> Region:
    with scopes_disabled():
        return Region.objects.get(tenant_id=tenant_id, pk=region_id)
