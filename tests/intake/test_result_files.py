"""办理结果附件: staff attach photos or PDFs when they resolve; the files are checked like
citizens' photos, stored privately, and shown to the citizen (status page, survey) through
the case's private link only."""

import io
import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from services.intake.models import ResultFile
from tests.builders import build_county, jpeg_with_gps, upload
from tests.helpers import case, press, run_worker, stored_files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_media")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def in_progress(county):
    assigned = county.routed()
    press(county.client("labour"), assigned, "sign_for")
    return assigned


def resolve_with(county, assigned, *files, result="已更换增压泵，噪声消除。"):
    return press(county.client("labour"), assigned, "resolve", note=result, files=list(files))


def test_a_result_carries_a_photo_and_a_document_the_citizen_can_open(
    county, client, private_media
):
    assigned = in_progress(county)
    messages = resolve_with(
        county, assigned, upload("现场照片.jpg", jpeg_with_gps()), upload("整改报告.pdf", PDF)
    )
    assert messages == [f"案件 {assigned.tracking_number} 已办结。"]
    with scopes_disabled():
        photo, document = ResultFile.objects.filter(case_id=assigned.pk).order_by("pk")
    assert (photo.kind, photo.name, document.kind, document.name) == (
        "photo",
        "现场照片.jpg",
        "document",
        "整改报告.pdf",
    )
    with photo.file.open("rb") as f, Image.open(io.BytesIO(f.read())) as stored:
        assert stored.format == "JPEG" and not stored.getexif(), "re-encoded, no GPS"
    assert len(stored_files(private_media)) == 3  # photo, its thumbnail, the PDF

    labour = county.client("labour")
    staff_page = labour.get(reverse("admin:intake_case_change", args=[assigned.pk])).content
    assert "整改报告.pdf" in staff_page.decode()
    staff_url = reverse("intake:result-file", args=[document.token, "full"])
    assert labour.get(staff_url).status_code == 200
    assert client.get(staff_url).status_code == 302, "anonymous: to the login page"

    status = client.get(f"/s/{assigned.access_key}/").content.decode()
    assert "已更换增压泵，噪声消除。" in status
    links = re.findall(r'(?:href|src)="(/s/[^"]+/files/[^"]+)"', status)
    assert len(links) == 3  # the photo, its thumbnail, the document
    for link in links:
        response = client.get(link)
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
    pdf = client.get(f"/s/{assigned.access_key}/files/{document.token}/full/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment")
    assert b"".join(pdf.streaming_content) == PDF

    run_worker("notify")
    from services.notify.models import Survey

    with scopes_disabled():
        token = Survey.objects.get(case_id=assigned.pk).token
    survey = client.get(f"/v/{token}/").content.decode()
    assert f"/s/{assigned.access_key}/files/{photo.token}/thumb/" in survey


def test_files_are_served_only_with_their_own_case_link(county, client):
    assigned = in_progress(county)
    other = county.routed()
    resolve_with(county, assigned, upload("a.jpg", jpeg_with_gps()))
    with scopes_disabled():
        (photo,) = ResultFile.objects.filter(case_id=assigned.pk)
    assert client.get(f"/s/{other.access_key}/files/{photo.token}/full/").status_code == 404
    assert client.get(f"/s/not-a-key/files/{photo.token}/full/").status_code == 404
    with scopes_disabled():
        ResultFile.objects.filter(pk=photo.pk).update(public=False)
    assert client.get(f"/s/{assigned.access_key}/files/{photo.token}/full/").status_code == 404
    assert photo.token not in client.get(f"/s/{assigned.access_key}/").content.decode()
    foreign = build_county("county-b", "乙县", "+8610690000002").client("dispatcher")
    staff_url = reverse("intake:result-file", args=[photo.token, "full"])
    assert foreign.get(staff_url).status_code == 404, "another county's staff"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("报告.jpg", b"this is not an image", "不是可识别的图片"),
        ("报告.pdf", b"%PDF-1.4\ntruncated", "不是完整的 PDF 文件"),
    ],
)
def test_a_bad_file_refuses_the_whole_resolution(county, private_media, name, content, message):
    assigned = in_progress(county)
    good = upload("ok.jpg", jpeg_with_gps())
    messages = resolve_with(county, assigned, good, upload(name, content))
    assert len(messages) == 1 and message in messages[0]
    now = case(assigned.pk)
    assert (now.state, now.result) == ("in_progress", "")
    with scopes_disabled():
        assert not ResultFile.objects.exists()
    assert stored_files(private_media) == [], "nothing half stored"


def test_at_most_five_files(county):
    assigned = in_progress(county)
    files = [upload(f"{n}.pdf", PDF) for n in range(6)]
    messages = resolve_with(county, assigned, *files)
    assert messages == ["办理结果最多附 5 个文件。"]
    assert case(assigned.pk).state == "in_progress"
