"""Public interface of the directory: who belongs to which tenant, region and department.

Reads hand out frozen snapshots (TenantInfo, RegionInfo, DepartmentInfo) or ids, never the
directory's model instances: another service that held a Tenant could save it, follow its
relations into tables it does not own, or query through it.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from services.identifiers.phones import is_domestic, normalised_or_empty

from . import boundaries, policy, positions
from .boundaries import LoadedBoundaries, TownshipShape
from .models import Department, Region, Staff, Tenant
from .policy import Capability, CaseFacts, Role
from .positions import (
    STALE_AFTER,
    DutyStatus,
    NearestSearch,
    OfficerAtDistance,
    duty_status,
    haversine_km,
    nearest_on_duty,
    record_position,
    set_on_duty,
)
from .records import create_region, create_staff
from .staff import StaffInfo, staff_info
from .two_factor import session_verified

RegionLevel = Region.Level
REPORT_EVERY_SECONDS = positions.REPORT_EVERY_SECONDS

__all__ = [
    "REPORT_EVERY_SECONDS",
    "STALE_AFTER",
    "BoundaryInvalid",
    "Capability",
    "CaseFacts",
    "DepartmentInfo",
    "DutyStatus",
    "LoadedBoundaries",
    "NearestSearch",
    "OfficerAtDistance",
    "RegionInfo",
    "RegionLevel",
    "Role",
    "StaffContact",
    "StaffInfo",
    "TenantInfo",
    "TownshipShape",
    "create_department",
    "create_region",
    "create_staff",
    "create_tenant",
    "department_names",
    "desk_idle_seconds",
    "duty_status",
    "get_department",
    "get_region",
    "get_tenant",
    "haversine_km",
    "load_township_boundaries",
    "nearest_on_duty",
    "policy",
    "record_position",
    "region_choices",
    "set_on_duty",
    "set_population",
    "sms_reaches",
    "staff_info",
    "staff_name",
    "staff_region_id",
    "staff_to_alert",
    "staff_users",
    "tenant_by_slug",
    "tenant_by_sms_number",
    "tenants_with_retention",
    "township_boundaries",
    "township_of",
    "township_populations",
    "townships",
]


@dataclass(frozen=True)
class TenantInfo:
    """A tenant (平台) as other services read it."""

    id: int
    name: str
    slug: str
    hotline: str
    phone_region: str
    sms_number: str
    sms_to_foreign_numbers: bool
    retention_days: int | None
    desk_idle_minutes: int
    map_tile_url: str


@dataclass(frozen=True)
class RegionInfo:
    """A node of the region tree (镇街 / 村社 / 网格); `path` is its materialised id path."""

    id: int
    tenant_id: int
    name: str
    code: str
    level: str
    path: str


@dataclass(frozen=True)
class DepartmentInfo:
    """A department (部门) that handles cases."""

    id: int
    tenant_id: int
    name: str
    code: str


def _tenant_info(tenant: Tenant) -> TenantInfo:
    return TenantInfo(
        id=tenant.pk,
        name=tenant.name,
        slug=tenant.slug,
        hotline=tenant.hotline,
        phone_region=tenant.phone_region,
        sms_number=tenant.sms_number,
        sms_to_foreign_numbers=tenant.sms_to_foreign_numbers,
        retention_days=tenant.retention_days,
        desk_idle_minutes=tenant.desk_idle_minutes,
        map_tile_url=tenant.map_tile_url,
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
                Q(role__in=policy.roles_with(Capability.ALERTED_FOR_ALL))
                | Q(
                    role__in=policy.roles_with(Capability.ALERTED_AS_HEAD),
                    is_department_head=True,
                    departments=department_id,
                )
            )
            .select_related("user")
            .distinct()
        )
        return [
            StaffContact(s.user_id, s.user.get_full_name() or s.user.get_username(), s.phone)
            for s in staff
        ]


def staff_users(tenant_id: int):
    """The tenant's active staff as users (e.g. whom an API key may act as), by username."""
    from django.contrib.auth import get_user_model

    with scopes_disabled():
        return (
            get_user_model()
            .objects.filter(is_active=True, staff__tenant_id=tenant_id)
            .order_by("username")
        )


def get_tenant(tenant_id: int) -> TenantInfo:
    """The tenant by id (LookupError for none)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        raise LookupError(f"no tenant {tenant_id}")
    return _tenant_info(tenant)


def desk_idle_seconds(tenant_id: int) -> int:
    """How long a reception desk (受理窗口) session may sit idle before it ends."""
    minutes = Tenant.objects.filter(pk=tenant_id).values_list("desk_idle_minutes", flat=True)
    return 60 * (minutes.first() or 15)


def sms_reaches(tenant_id: int, phone: str) -> bool:
    """Whether the tenant sends SMS to this number: always to numbers of its own country
    (its 默认号码地区), abroad only when it has chosen to (向境外号码发送短信)."""
    tenant = get_tenant(tenant_id)
    number = normalised_or_empty(phone, tenant.phone_region)
    # A number that cannot be read is not ours to refuse: the provider reports it as it fails.
    return tenant.sms_to_foreign_numbers or not number or is_domestic(number, tenant.phone_region)


def passes_two_factor(user, session) -> bool:
    """For connections outside the HTTP middleware (websockets): whether the session has done
    the 两步验证 the user's tenant requires of their role (or none is required)."""
    return session_verified(user, session)


def tenant_ids() -> list[int]:
    """Every tenant's id, for periodic checks that look at each county."""
    return list(Tenant.objects.order_by("pk").values_list("pk", flat=True))


def tenant_by_sms_number(number: str) -> TenantInfo | None:
    """The tenant that sends from this number (where citizens' replies arrive), if any."""
    tenant = Tenant.objects.filter(sms_number=number).first()
    return _tenant_info(tenant) if tenant else None


def tenant_by_slug(slug: str) -> TenantInfo | None:
    """The tenant by its code (平台代码), if any."""
    tenant = Tenant.objects.filter(slug=slug).first()
    return _tenant_info(tenant) if tenant else None


def tenants_with_retention(slug: str | None = None) -> list[TenantInfo]:
    """Tenants with a retention period (retention_days set), or just the one named by `slug`
    (LookupError when there is none by that name)."""
    tenants = Tenant.objects.all() if slug is None else Tenant.objects.filter(slug=slug)
    if slug is not None and not tenants.exists():
        raise LookupError(slug)
    return [_tenant_info(t) for t in tenants.filter(retention_days__isnull=False).order_by("pk")]


def create_tenant(name: str, slug: str, **fields) -> Tenant:
    return Tenant.objects.create(name=name, slug=slug, **fields)


def create_department(
    tenant: Tenant, name: str, code: str, region: Region | None = None
) -> Department:
    return Department.objects.create(tenant=tenant, name=name, code=code, region=region)


def get_department(tenant_id: int, department_id: int) -> DepartmentInfo:
    """The tenant's department by id (LookupError for none, or another tenant's)."""
    with scopes_disabled():
        found = Department.objects.filter(tenant_id=tenant_id, pk=department_id).first()
    if found is None:
        raise LookupError(f"no department {department_id} in tenant {tenant_id}")
    return DepartmentInfo(id=found.pk, tenant_id=tenant_id, name=found.name, code=found.code)


def region_choices(tenant_id: int) -> list[tuple[int, str]]:
    """(id, name with its ancestors) of a tenant's regions, in tree order, for pickers."""
    with scopes_disabled():
        regions = list(Region.objects.filter(tenant_id=tenant_id).order_by("path"))
    names = {r.pk: r.name for r in regions}
    return [
        (r.pk, " / ".join(names[int(i)] for i in r.path.strip("/").split("/") if int(i) in names))
        for r in regions
    ]


def staff_region_id(user) -> int | None:
    """The township a staff member works in (a reception desk's own 镇街), if set."""
    with scopes_disabled():
        return Staff.objects.filter(user_id=user.pk).values_list("region_id", flat=True).first()


def get_region(tenant_id: int, region_id: int) -> RegionInfo:
    """The tenant's region by id (LookupError for none, or another tenant's)."""
    with scopes_disabled():
        found = Region.objects.filter(tenant_id=tenant_id, pk=region_id).first()
    if found is None:
        raise LookupError(f"no region {region_id} in tenant {tenant_id}")
    return RegionInfo(
        id=found.pk,
        tenant_id=tenant_id,
        name=found.name,
        code=found.code,
        level=found.level,
        path=found.path,
    )


def townships(tenant_id: int) -> dict[int, str]:
    """The tenant's townships (镇街), id → name, in creation order."""
    with scopes_disabled():
        return dict(
            Region.objects.filter(tenant_id=tenant_id, level=RegionLevel.TOWNSHIP)
            .order_by("pk")
            .values_list("pk", "name")
        )


def township_populations(tenant_id: int) -> dict[int, int | None]:
    """The tenant's townships (镇街), id → residents (常住人口; None where not entered)."""
    with scopes_disabled():
        return dict(
            Region.objects.filter(tenant_id=tenant_id, level=RegionLevel.TOWNSHIP)
            .order_by("pk")
            .values_list("pk", "population")
        )


def set_population(tenant_id: int, region_id: int, population: int | None) -> None:
    """Records a region's residents (the demo loader and imports; staff use the admin)."""
    with scopes_disabled():
        Region.objects.filter(tenant_id=tenant_id, pk=region_id).update(population=population)


def township_of(region_path: str) -> int | None:
    """The township id at the top of a region path ("/3/17/42/" → 3), None for no region."""
    first = region_path.strip("/").split("/", 1)[0]
    return int(first) if first else None


def department_names(tenant_id: int) -> dict[int, str]:
    """The tenant's departments, id → name."""
    with scopes_disabled():
        return dict(
            Department.objects.filter(tenant_id=tenant_id).order_by("pk").values_list("pk", "name")
        )


def staff_name(user_id: int | None) -> str:
    """A staff member's name as colleagues know it (full name, else username); "" if none."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return (user.get_full_name() or user.get_username()) if user else ""


# An upload that cannot be stored whole; its `messages` say what to fix, in Chinese.
BoundaryInvalid = ValidationError


def load_township_boundaries(tenant_id: int, raw: bytes, source: str = "") -> LoadedBoundaries:
    """镇街边界: stores the townships' outlines from a GeoJSON FeatureCollection (features
    matched by 区划代码 or name). BoundaryInvalid listing every problem, nothing stored."""
    return boundaries.load(tenant_id, raw, source)


def township_boundaries(tenant_id: int) -> list[TownshipShape]:
    """The tenant's uploaded township outlines (WGS-84 MultiPolygons), for the map."""
    return boundaries.shapes(tenant_id)
