"""Large uploads: photos above Django's in-memory threshold (they arrive as temporary files on
disk) are taken on every path; photos with too many pixels, alone or together, are refused
by their headers before anything is decoded, with a message that says why."""

import io
import os

import pytest
from django.conf import settings as django_settings
from django_scopes import scopes_disabled
from PIL import Image, ImageChops

from services.intake import downscale
from services.intake.models import Case
from tests.builders import entry_token, jpeg_with_gps, upload, wage_arrears_form
from tests.helpers import db_snapshot, stored_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

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


def bilevel_png(size: tuple[int, int]) -> bytes:
    """A black-and-white PNG of one colour: a few KB on the wire whatever its pixel count."""
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    return buffer.getvalue()


def _form_post(client, demo, photos):
    return client.post(
        f"/c/{entry_token(demo.pk, '欠薪')}/", {**wage_arrears_form(), "photos": photos}
    )


def test_three_49_megapixel_pngs_are_refused_and_nothing_is_stored(client, demo, private_media):
    bomb = bilevel_png((7000, 7000))
    assert len(bomb) < 10_000
    before = db_snapshot()

    response = _form_post(client, demo, [upload(f"b{i}.png", bomb, "image/png") for i in range(3)])

    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == [
        f"照片“b{i}.png”像素过大（每张最多 2500 万像素），请缩小后再上传。" for i in range(3)
    ]
    assert db_snapshot() == before
    assert stored_files(private_media) == []


def test_the_api_refuses_a_photo_with_too_many_pixels_in_the_clients_language(client, demo):
    response = client.post(
        f"/api/v1/entry-points/{entry_token(demo.pk, '欠薪')}/cases/",
        {**wage_arrears_form(), "photos": [upload("b.png", bilevel_png((7000, 7000)))]},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 400
    assert response.json()["errors"]["photos"] == [
        "The photo “b.png” has too many pixels (at most 25 million pixels each); "
        "please make it smaller."
    ]


def test_photos_with_too_many_pixels_together_are_refused(client, demo, settings, private_media):
    settings.INTAKE_PHOTO_MAX_PIXELS = 1_000_000
    settings.INTAKE_PHOTO_TOTAL_MAX_PIXELS = 2_000_000
    photo = bilevel_png((1000, 800))
    before = db_snapshot()

    refused = _form_post(client, demo, [upload(f"{i}.png", photo) for i in range(3)])

    assert refused.status_code == 400
    assert refused.context["form"].errors["photos"] == [
        "这些照片合计像素过多（每次提交最多 200 万像素），请减少照片张数或缩小后再上传。"
    ]
    assert db_snapshot() == before
    assert stored_files(private_media) == []
    assert (
        _form_post(client, demo, [upload(f"{i}.png", photo) for i in range(2)]).status_code == 302
    )


def test_phone_jpegs_count_the_pixels_they_are_decoded_at(client, demo):
    """A 24-megapixel JPEG (a recent phone's default) is decoded at half size for its
    2560-pixel stored copy, so three of them fit the submission's 60 megapixels."""
    phone_photo = jpeg_with_gps(size=(5712, 4284))
    assert django_settings.INTAKE_PHOTO_TOTAL_MAX_PIXELS < 5712 * 4284 * 3

    response = _form_post(client, demo, [upload(f"IMG_{i}.jpg", phone_photo) for i in range(3)])

    assert response.status_code == 302, response.context["form"].errors
    with scopes_disabled():
        sizes = {(p.width, p.height) for p in Case.objects.get().photos.all()}
    assert sizes == {(2560, 1920)}


def test_a_shrunk_photo_keeps_its_orientation(client, demo):
    """The camera's rotation tag is applied after shrinking; the stored photo is upright."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 40, 40)).save(buffer, format="JPEG", exif=exif)

    response = _form_post(client, demo, [upload("turned.jpg", buffer.getvalue())])

    assert response.status_code == 302
    assert _stored_photo_size() == (1707, 2560)


def _on_white(image: Image.Image) -> Image.Image:
    """What is stored of an image: alpha composited onto white."""
    white = Image.new("RGBA", image.size, "white")
    return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "PA", "1", "CMYK"])
def test_shrinking_band_by_band_matches_a_whole_image_resize(monkeypatch, mode):
    monkeypatch.setattr(downscale, "BAND_PIXELS", 20_000)  # many bands, each with its seams
    size = (900, 1300)
    detail = Image.effect_mandelbrot(size, (-2.0, -1.3, 0.7, 1.3), 100)
    channels = [detail, Image.linear_gradient("L").resize(size), detail.rotate(180)]
    alpha = Image.radial_gradient("L").resize(size)
    original = Image.merge("RGBA", [*channels, alpha]).convert(mode)
    whole_mode = "RGBA" if mode in ("RGBA", "LA", "PA") else "RGB"

    shrunk = downscale.shrink(original, (400, 578))

    whole = original.convert(whole_mode).resize((400, 578), Image.Resampling.BICUBIC)
    assert (shrunk.mode, shrunk.size) == (whole_mode, (400, 578))
    difference = ImageChops.difference(_on_white(shrunk), _on_white(whole)).getextrema()
    assert max(high for _low, high in difference) <= 1, difference
