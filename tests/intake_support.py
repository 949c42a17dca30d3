"""Fixtures and helpers of the intake tests: a second tenant, sample photos, DB snapshots."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope, scopes_disabled
from django_tasks_db.models import DBTaskResult
from PIL import Image

from services.directory import api as directory
from services.intake import api as intake

PASSWORD = "intake-test-password"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Photos go to a fresh directory per test, so tests can count the files written."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    return tmp_path / "private"


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def other_tenant(db):
    """A second county with its own scenarios, one code, a desk officer and a dispatcher."""
    with scopes_disabled():
        tenant = directory.create_tenant("玉环市（测试）", "yuhuan-test", hotline="0576-87654")
        township = directory.create_region(tenant, "楚门镇", directory.RegionLevel.TOWNSHIP)
        scenarios = intake.install_builtin_scenarios(tenant)
        ep = intake.create_entry_point(tenant, scenarios["campus"], "楚门镇 一小 校门口", township)
        directory.create_staff(tenant, "yh_desk", PASSWORD, directory.Role.RECEPTION)
        directory.create_staff(tenant, "yh_dispatcher", PASSWORD, directory.Role.DISPATCHER)
    tenant.entry_token = ep.token
    tenant.township_id = township.pk
    return tenant


def db_snapshot() -> tuple[int, ...]:
    """Row counts of everything a submission writes."""
    from services.intake.models import Case, CaseEvent, CasePhoto, EntryPointScan

    with scopes_disabled():
        return (
            Case.objects.count(),
            CaseEvent.objects.count(),
            CasePhoto.objects.count(),
            DBTaskResult.objects.count(),
            EntryPointScan.objects.count(),
        )


def jpeg_with_gps(size=(1200, 900), colour=(200, 40, 40)) -> bytes:
    """A real JPEG carrying EXIF: GPS position, camera make and a comment."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone Inc."  # Make
    exif[0x0110] = "Model X"  # Model
    gps = {
        1: "N",
        2: (Decimal(28), Decimal(22), Decimal(30)),
        3: "E",
        4: (Decimal(121), Decimal(23), Decimal(10)),
    }
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret comment")
    return buffer.getvalue()


def png_bytes(size=(64, 48), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 128) if mode == "RGBA" else 0).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def add_field(tenant, scenario_code: str, **declaration):
    """Declares an extra field on a tenant's scenario, as an administrator would."""
    from services.intake.models import Scenario, ScenarioField

    with scope(tenant=tenant.pk):
        scenario = Scenario.objects.get(code=scenario_code)
        field = ScenarioField(scenario=scenario, **declaration)
        field.full_clean()
        field.save()
    return field
