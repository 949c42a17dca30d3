"""Photos: images only (by content), a size and count limit, metadata stripped, thumbnails, and
served only to the case's own tenant's staff."""

import io

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from services.directory import api as directory
from services.intake.models import Case
from tests.builders import entry_token, jpeg_with_gps, png_bytes, upload, wage_arrears_form
from tests.helpers import PASSWORD, db_snapshot, stored_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def _post(client, token, *files, **overrides):
    return client.post(f"/c/{token}/", {**wage_arrears_form(**overrides), "photos": list(files)})


def test_photo_is_stored_without_exif_and_with_a_thumbnail(client, demo, private_media):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(0x8825), "the sample really carries a GPS position"

    response = _post(client, entry_token(demo.pk, "欠薪"), upload("IMG_0001.jpg", original))

    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        (photo,) = Case.objects.get().photos.all()
    with photo.image.open("rb") as f:
        stored_bytes = f.read()
    with Image.open(io.BytesIO(stored_bytes)) as stored:
        assert stored.format == "JPEG"
        assert (stored.width, stored.height) == (1200, 900) == (photo.width, photo.height)
        assert not stored.getexif(), "no EXIF at all: no GPS, no camera"
        assert "comment" not in stored.info and "icc_profile" not in stored.info
    assert b"TestPhone" not in stored_bytes and b"secret comment" not in stored_bytes
    with photo.thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert max(thumb.size) == 320
    assert "IMG_0001" not in photo.image.name, "the citizen's file name is not kept"
    assert len(stored_files(private_media)) == 2


def test_transparent_png_is_accepted_and_flattened(client, demo):
    response = _post(
        client, entry_token(demo.pk, "欠薪"), upload("a.png", png_bytes(), "image/png")
    )
    assert response.status_code == 302
    with scopes_disabled():
        photo = Case.objects.get().photos.get()
    with photo.image.open("rb") as f, Image.open(f) as stored:
        assert stored.mode == "RGB"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"%PDF-1.4 not a photo at all\n" * 50),  # a PDF disguised as .jpg
        ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 2000),  # an executable disguised as .jpg
        ("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("photo.jpg", jpeg_with_gps()[:600]),  # a JPEG cut short
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),  # a PNG signature and garbage
    ],
)
def test_a_non_image_disguised_as_jpg_is_refused_and_nothing_is_stored(
    client, demo, private_media, name, content
):
    before = db_snapshot()
    response = _post(client, entry_token(demo.pk, "欠薪"), upload(name, content))
    assert response.status_code == 400
    errors = response.context["form"].errors["photos"]
    assert any("不是可识别的图片" in e and name in e for e in errors), errors
    assert "需要重新选择" in response.content.decode()
    assert db_snapshot() == before
    assert stored_files(private_media) == []


def test_an_oversized_file_is_refused(client, demo, settings, private_media):
    settings.INTAKE_PHOTO_MAX_BYTES = 50_000
    big = jpeg_with_gps(size=(2000, 2000))
    big += b"\x00" * max(0, 50_001 - len(big))
    before = db_snapshot()

    response = _post(client, entry_token(demo.pk, "欠薪"), upload("big.jpg", big))

    assert response.status_code == 400
    (error,) = response.context["form"].errors["photos"]
    assert "big.jpg" in error and "超过" in error
    assert db_snapshot() == before
    assert stored_files(private_media) == []


def test_more_photos_than_the_scenario_allows_are_refused(client, demo, private_media):
    files = [upload(f"{i}.jpg", jpeg_with_gps(size=(40, 30))) for i in range(4)]
    before = db_snapshot()
    response = _post(client, entry_token(demo.pk, "欠薪"), *files)
    assert response.status_code == 400
    assert "最多只能上传 3 张" in response.context["form"].errors["photos"][0]
    assert db_snapshot() == before
    assert stored_files(private_media) == []


def test_one_bad_photo_among_good_ones_refuses_the_whole_submission(client, demo, private_media):
    before = db_snapshot()
    response = _post(
        client,
        entry_token(demo.pk, "欠薪"),
        upload("good.jpg", jpeg_with_gps(size=(40, 30))),
        upload("bad.jpg", b"not an image"),
    )
    assert response.status_code == 400
    assert db_snapshot() == before
    assert stored_files(private_media) == []


def test_a_failure_while_storing_leaves_no_rows_and_no_files(
    client, demo, private_media, monkeypatch
):
    """Files are not transactional: when the case's transaction fails after the photos were
    written, the files are removed too."""
    from services import eventbus

    def broken_publish(event, payload):
        raise RuntimeError("the task table is unavailable")

    monkeypatch.setattr(eventbus, "publish", broken_publish)
    before = db_snapshot()
    client.raise_request_exception = False
    response = _post(
        client, entry_token(demo.pk, "欠薪"), upload("good.jpg", jpeg_with_gps(size=(40, 30)))
    )
    assert response.status_code == 500
    assert db_snapshot() == before
    assert stored_files(private_media) == []


def test_photos_are_served_only_to_staff_of_the_cases_tenant(
    client, demo, other_tenant, user_named
):
    assert (
        _post(client, entry_token(demo.pk, "欠薪"), upload("a.jpg", jpeg_with_gps())).status_code
        == 302
    )
    with scopes_disabled():
        photo = Case.objects.get().photos.get()
    full = f"/intake/photos/{photo.token}/full.jpg"
    thumb = f"/intake/photos/{photo.token}/thumb.jpg"

    anonymous = client.get(full)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    client.force_login(user_named("yh_dispatcher"))  # another county's dispatcher
    assert client.get(full).status_code == 404
    assert client.get(thumb).status_code == 404

    client.force_login(user_named("education"))  # same county, a department not handling it
    assert client.get(full).status_code == 404

    from django.contrib.auth import get_user_model

    operator = get_user_model().objects.create_superuser("operator", password=PASSWORD)
    client.force_login(operator)  # the platform operator sees what the admin shows them
    assert client.get(full).status_code == 200

    client.force_login(user_named("dispatcher"))
    response = client.get(thumb)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    with Image.open(io.BytesIO(body)) as image:
        assert max(image.size) == 320


@pytest.mark.django_db(transaction=True)
def test_co_handling_staff_see_the_case_and_its_photos(client, demo, drain, user_named):
    """A group wage-arrears case goes to the labour bureau with the township co-handling
    (协同): the township's staff read it through the API and its photos; others do not."""
    token = entry_token(demo.pk, "欠薪")
    response = _post(client, token, upload("a.jpg", jpeg_with_gps()), workers_affected="12")
    assert response.status_code == 302
    drain("routing")
    with scopes_disabled():
        case = Case.objects.get()
        photo = case.photos.get()
        township_office = case.tenant.department_set.get(code="xinhe_social")
    assert case.department.code == "labour"
    directory.create_staff(
        demo, "xinhe_officer", PASSWORD, directory.Role.DEPARTMENT, departments=[township_office]
    )

    for username, expected in (("xinhe_officer", 200), ("education", 404)):
        client.force_login(user_named(username))
        assert client.get(f"/api/v1/cases/{case.tracking_number}/").status_code == expected
        assert client.get(f"/intake/photos/{photo.token}/thumb.jpg").status_code == expected
