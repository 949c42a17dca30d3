"""Writing the directory: tenants, the region tree, departments and staff."""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django_scopes import scope

from .models import Department, Region, Staff, Tenant


@transaction.atomic
def create_region(
    tenant: Tenant, name: str, level: str, parent: Region | None = None, code: str = ""
) -> Region:
    region = Region.objects.create(
        tenant=tenant, name=name, level=level, parent=parent, path="", code=code
    )
    region.path = f"{parent.path if parent else '/'}{region.pk}/"
    region.save(update_fields=["path"])
    return region


@transaction.atomic
def create_staff(
    tenant: Tenant,
    username: str,
    password: str,
    role: str,
    *,
    departments: Sequence[Department | int] = (),
    is_department_head: bool = False,
    full_name: str = "",
    region: Region | None = None,
) -> Staff:
    """Creates a login for one tenant. Staff use the admin, so they are `is_staff`."""
    user = get_user_model().objects.create_user(
        username=username, password=password, is_staff=True, first_name=full_name
    )
    staff = Staff.objects.create(
        user=user, tenant=tenant, role=role, is_department_head=is_department_head, region=region
    )
    with scope(tenant=tenant.pk):
        staff.departments.set(departments)
    return staff


@transaction.atomic
def save_region(region: Region) -> Region:
    """Saves a region typed into the admin, keeping its materialised path right.

    The parent is fixed once created (moving a subtree would rewrite every path below it).
    """
    is_new = region.pk is None
    if is_new:
        region.path = ""
    region.save()
    if is_new:
        region.path = f"{region.parent.path if region.parent else '/'}{region.pk}/"
        region.save(update_fields=["path"])
    return region


def create_login(username: str, password: str, full_name: str = ""):
    """A staff login (is_staff: staff work in the admin); its role is a Staff row."""
    return get_user_model().objects.create_user(
        username=username, password=password, is_staff=True, first_name=full_name
    )
