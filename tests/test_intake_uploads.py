"""Large uploads on every path: photos above Django's in-memory threshold (they arrive as
temporary files on disk) are taken on the citizens' form, the desk and the API alike."""

import io
import os

import pytest
from django.conf import settings as django_settings
from django_scopes import scopes_disabled
from PIL import Image

from services.intake.models import Case

from .helpers import entry_token, wage_arrears_form
from .intake_support import (  # noqa: F401
    _private_media,
    db_snapshot,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db

CAMPUS = {"description": "校门口积水", "school": "一小", "issue_type": "设施安全"}


def noisy_png(size=(1200, 900)) -> bytes:
    """A real PNG of random pixels: it cannot compress, so it is as big as its pixels."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def big_photo():
    """A photo Django spools to a temporary file rather than keeping it in memory."""
    content = noisy_png()
    assert len(content) > django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    return upload("big.png", content, "image/png")


def _stored_photo_size() -> tuple[int, int]:
    with scopes_disabled():
        photo = Case.objects.get().photos.get()
    return photo.width, photo.height


def test_citizens_form_takes_a_photo_above_the_in_memory_threshold(client, demo, big_photo):
    response = client.post(
        f"/c/{entry_token(demo.pk, '欠薪')}/", {**wage_arrears_form(), "photos": [big_photo]}
    )
    assert response.status_code == 302, response.content.decode()
    assert _stored_photo_size() == (1200, 900)


def test_desk_form_takes_a_photo_above_the_in_memory_threshold(client, demo, user_named, big_photo):
    client.force_login(user_named("xinhe_desk"))
    response = client.post("/desk/new/campus/", {**CAMPUS, "photos": [big_photo]})
    assert response.status_code == 302, response.content.decode()
    assert _stored_photo_size() == (1200, 900)


def test_public_api_takes_a_photo_above_the_in_memory_threshold(client, demo, big_photo):
    response = client.post(
        f"/api/v1/entry-points/{entry_token(demo.pk, '欠薪')}/cases/",
        {**wage_arrears_form(), "photos": [big_photo]},
    )
    assert response.status_code == 201, response.content.decode()
    assert _stored_photo_size() == (1200, 900)


def test_staff_api_takes_a_photo_above_the_in_memory_threshold(client, demo, user_named, big_photo):
    client.force_login(user_named("xinhe_desk"))
    response = client.post(
        "/api/v1/cases/", {"scenario": "campus", **CAMPUS, "photos": [big_photo]}
    )
    assert response.status_code == 201, response.content.decode()
    assert _stored_photo_size() == (1200, 900)
