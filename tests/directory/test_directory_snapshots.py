"""The directory's reads hand other services frozen snapshots, never its model instances:
a service holding a Tenant could save it or follow its relations into tables it does not own."""

import dataclasses

import pytest
from django.db.models import Model
from django_scopes import scopes_disabled

from services.directory import api as directory

pytestmark = pytest.mark.django_db


def test_reads_of_tenant_region_and_department_are_frozen_snapshots(demo, user_named):
    [department_id] = directory.staff_info(user_named("labour")).department_ids
    township_id = next(iter(directory.townships(demo.pk)))
    with scopes_disabled():
        reads = [
            directory.get_tenant(demo.pk),
            directory.tenant_by_slug(demo.slug),
            directory.tenant_by_sms_number(demo.sms_number),
            *directory.tenants_with_retention(),
            directory.get_region(demo.pk, township_id),
            directory.get_department(demo.pk, department_id),
        ]
    for read in reads:
        assert not isinstance(read, Model), read
        with pytest.raises(dataclasses.FrozenInstanceError):
            read.name = "改名"  # type: ignore[misc, union-attr]
    tenant = reads[0]
    assert (tenant.id, tenant.slug, tenant.phone_region) == (demo.pk, "wenling-demo", "CN")
    assert reads[1] == reads[2] == reads[3] == tenant


def test_another_tenants_region_or_department_is_not_found(demo, user_named):
    [department_id] = directory.staff_info(user_named("labour")).department_ids
    township_id = next(iter(directory.townships(demo.pk)))
    other = directory.create_tenant("丙县", "county-c")
    with pytest.raises(LookupError):
        directory.get_department(other.pk, department_id)
    with pytest.raises(LookupError):
        directory.get_region(other.pk, township_id)
