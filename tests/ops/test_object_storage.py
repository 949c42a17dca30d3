"""Photos and result files in an S3-compatible bucket: moto's server mode (`moto[server]`)
runs a real S3 endpoint on 127.0.0.1, and django-storages talks to it with boto3 exactly as it
would to Alibaba OSS, Tencent COS or MinIO."""

import io
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from services.intake.models import Case, CasePhoto
from tests.builders import entry_token, jpeg_with_gps, upload, wage_arrears_form
from tests.ops_processes import free_port, port_open, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.django_db]

BUCKET = "gongzhima-private"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: port_open(port), 30, "moto's S3 server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def s3(s3_endpoint):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _bucket_storage(endpoint: str) -> dict:
    """What settings.py builds from PRIVATE_STORAGE_BUCKET and friends."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "addressing_style": "path",
            "location": "county",
            "default_acl": "private",
            "querystring_auth": True,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }


@pytest.fixture
def in_bucket(settings, s3, s3_endpoint, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": _bucket_storage(s3_endpoint)}
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return s3


def _keys(s3) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _submit_photo(client, demo) -> CasePhoto:
    form = {**wage_arrears_form(), "photos": [upload("IMG_1.jpg", jpeg_with_gps())]}
    assert client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", form).status_code == 302
    with scopes_disabled():
        return Case.objects.get().photos.get()


def test_a_photo_round_trips_through_the_bucket_and_only_the_view_serves_it(
    client, demo, other_tenant, in_bucket, user_named, tmp_path
):
    photo = _submit_photo(client, demo)

    assert _keys(in_bucket) == sorted(
        [f"county/{photo.image.name}", f"county/{photo.thumbnail.name}"]
    )
    assert not (tmp_path / "private").exists(), "nothing written to the local disk"
    in_bucket_bytes = in_bucket.get_object(Bucket=BUCKET, Key=f"county/{photo.image.name}")[
        "Body"
    ].read()

    full = reverse("intake:photo", args=[photo.token, "full"])
    assert client.get(full).status_code == 302  # anonymous: to the login page
    client.force_login(user_named("yh_dispatcher"))  # another county's dispatcher
    assert client.get(full).status_code == 404
    client.force_login(user_named("dispatcher"))
    response = client.get(full)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == in_bucket_bytes


def test_with_signed_urls_the_view_redirects_to_a_short_lived_link(
    client, demo, other_tenant, in_bucket, settings, user_named
):
    settings.PRIVATE_STORAGE_SIGNED_URL_SECONDS = 60
    photo = _submit_photo(client, demo)
    full = reverse("intake:photo", args=[photo.token, "full"])

    client.force_login(user_named("yh_dispatcher"))
    assert client.get(full).status_code == 404, "the permission check comes first"
    client.force_login(user_named("dispatcher"))
    response = client.get(full)

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed
    with urllib.request.urlopen(signed, timeout=10) as fetched:  # noqa: S310 (our moto server)
        assert fetched.headers["Content-Type"] == "image/jpeg"
        body = fetched.read()
    with photo.image.open("rb") as stored:
        assert body == stored.read()


def test_move_case_files_copies_existing_photos_into_the_bucket(
    client, demo, settings, s3, s3_endpoint, tmp_path, user_named
):
    local = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": local, "base_url": None},
        },
    }
    photo = _submit_photo(client, demo)
    original = (local / photo.image.name).read_bytes()

    settings.STORAGES = {**settings.STORAGES, "private": _bucket_storage(s3_endpoint)}
    call_command("move_case_files", "--from", str(local), "--remove-local", stdout=io.StringIO())
    assert sorted(_keys(s3)) == sorted(
        [f"county/{photo.image.name}", f"county/{photo.thumbnail.name}"]
    )
    assert not [p for p in local.rglob("*") if p.is_file()], "local copies removed"

    client.force_login(user_named("dispatcher"))
    response = client.get(reverse("intake:photo", args=[photo.token, "full"]))
    assert b"".join(response.streaming_content) == original

    # A second run (e.g. after an interruption) finds everything in place.
    call_command("move_case_files", "--from", str(local), stdout=io.StringIO())
