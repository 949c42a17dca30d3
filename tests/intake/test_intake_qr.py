"""QR entry points: unguessable tokens, codes that a real decoder reads back (SVG, PNG, the A4
posters), printed small or damaged; inactive codes; scan and submission counts."""

import io

import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scopes_disabled
from PIL import Image, ImageDraw

from services.directory import api as directory
from services.directory.models import Region
from services.intake import api as intake
from services.intake.models import EntryPoint
from tests.builders import entry_token, wage_arrears_form
from tests.helpers import db_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def campus_point(demo) -> EntryPoint:
    with scopes_disabled():
        return EntryPoint.objects.get(tenant=demo, scenario__code="campus")


def test_entry_point_url_carries_a_short_unguessable_token(demo):
    ep = campus_point(demo)
    assert 11 <= len(ep.token) <= 16
    assert str(ep.pk) != ep.token
    assert intake.entry_point_url(ep.token) == f"http://testserver/c/{ep.token}/"
    with scopes_disabled():
        tokens = set(EntryPoint.objects.values_list("token", flat=True))
    assert len(tokens) == 4, "one per demo code, all different"


def test_png_decodes_to_the_entry_point_url(client, demo):
    ep = campus_point(demo)
    response = client.get(f"/c/{ep.token}/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.width >= 300, "large enough to print sharp"
    assert decode(image) == [f"http://testserver/c/{ep.token}/"]


def BLOT(side: int) -> tuple[float, ...]:
    """A blot over about a tenth of the code's area, clear of the finder patterns."""
    return (side * 0.35, side * 0.40, side * 0.62, side * 0.62)


def test_png_still_scans_printed_small_and_partly_damaged(client, demo):
    ep = campus_point(demo)
    image = Image.open(io.BytesIO(client.get(f"/c/{ep.token}/qr.png").content)).convert("L")
    # Printed small: about 2.5 px per module, smoothed like a cheap print or a phone photo.
    small = image.resize((image.width // 4, image.height // 4), Image.Resampling.BILINEAR)
    # Scuffed: a blot over about a tenth of the code.
    side = small.width
    blot = ImageDraw.Draw(small)
    blot.rectangle(BLOT(side), fill=255)
    assert decode(small) == [f"http://testserver/c/{ep.token}/"]

    # And the control: the same blot on a code without error correction to spare fails, so the
    # test really measures the error-correction level, not a lenient decoder.
    import qrcode

    weak = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=4, box_size=10)
    weak.add_data(f"http://testserver/c/{ep.token}/")
    weak.make(fit=True)
    weak_image = weak.make_image().get_image().convert("L")
    weak_small = weak_image.resize((side, side), Image.Resampling.BILINEAR)
    ImageDraw.Draw(weak_small).rectangle(BLOT(side), fill=255)
    assert decode(weak_small) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_svg_rendered_by_a_real_browser_decodes_to_the_entry_point_url(browser_page, demo):
    ep = campus_point(demo)
    page = browser_page
    svg = page.goto(f"/c/{ep.token}/qr.svg")
    assert svg.status == 200 and svg.headers["content-type"] == "image/svg+xml"
    page.goto("/")  # any HTML page of the site: the image below loads from the same origin
    page.set_viewport_size({"width": 600, "height": 600})
    page.set_content(
        f'<body style="margin:0;background:#fff"><img src="/c/{ep.token}/qr.svg" '
        'style="width:400px;height:400px"></body>'
    )
    page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth > 0")
    shot = page.screenshot(clip={"x": 0, "y": 0, "width": 400, "height": 400})
    assert decode(Image.open(io.BytesIO(shot))) == [f"http://testserver/c/{ep.token}/"]


def _pdf_pages(pdf: bytes) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i].render(scale=100 / 72).to_pil() for i in range(len(document))]


def _pdf_text(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_batch_command_prints_a_townships_campus_posters_into_one_pdf(demo, tmp_path, capsys):
    school_gate = campus_point(demo)  # the demo's, at 新河镇 中心小学
    with scopes_disabled():
        regions = dict(
            (name.split(" / ")[-1], pk) for pk, name in directory.region_choices(demo.pk)
        )
        village = Region.objects.get(pk=regions["长屿村"])
        elsewhere = Region.objects.get(pk=regions["石塘镇"])
        campus = intake.install_builtin_scenarios(demo)["campus"]
        in_village = intake.create_entry_point(demo, campus, "长屿村小学 后门", village)
        intake.create_entry_point(demo, campus, "石塘镇小学 校门口", elsewhere)
        off = intake.create_entry_point(demo, campus, "新河镇 旧校区", village)
        EntryPoint.objects.filter(pk=off.pk).update(active=False)
    output = tmp_path / "campus.pdf"

    call_command(
        "print_posters",
        "--tenant=wenling-demo",
        "--scenario=campus",
        "--region=新河镇",
        f"--output={output}",
    )

    captured = capsys.readouterr()
    assert "2/2" in captured.err, "a progress bar on the command line"
    pdf = output.read_bytes()
    pages = _pdf_pages(pdf)
    assert len(pages) == 2, "the township's two active campus codes, its village's included"
    urls = sorted(decode(page)[0] for page in pages)
    expected = sorted(
        f"http://testserver/c/{token}/" for token in (school_gate.token, in_village.token)
    )
    assert urls == expected
    texts = _pdf_text(pdf)
    assert all("温岭市（演示）" in t and "校园安全" in t for t in texts), texts
    assert any("长屿村小学 后门" in t for t in texts)
    assert all("扫一扫" in t for t in texts), "one line of instructions, in Chinese"


def test_batch_command_explains_what_it_could_not_find(demo, tmp_path):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("print_posters", "--tenant=nowhere", f"--output={tmp_path / 'x.pdf'}")
    with pytest.raises(CommandError, match="matches 0 regions"):
        call_command(
            "print_posters",
            "--tenant=wenling-demo",
            "--region=火星",
            f"--output={tmp_path / 'x.pdf'}",
        )
    assert not (tmp_path / "x.pdf").exists()


def test_admin_action_prints_the_selected_posters(client, demo, user_named):
    client.force_login(user_named("admin"))
    with scopes_disabled():
        chosen = list(EntryPoint.objects.filter(tenant=demo).order_by("pk")[:3])
    response = client.post(
        "/admin/intake/entrypoint/",
        {"action": "print_posters", "_selected_action": [ep.pk for ep in chosen]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = _pdf_pages(response.content)
    assert sorted(decode(p)[0] for p in pages) == sorted(
        f"http://testserver/c/{ep.token}/" for ep in chosen
    )


def test_admin_lists_scan_and_submission_counts_and_creates_codes_for_its_tenant(
    client, demo, user_named
):
    token = entry_token(demo.pk, "欠薪")
    client.get(f"/c/{token}/")
    client.get(f"/c/{token}/")
    client.post(f"/c/{token}/", wage_arrears_form())
    client.post(f"/c/{token}/", wage_arrears_form(description=""))  # refused: not counted
    assert intake.entry_point_counts(token) == (2, 1)

    client.force_login(user_named("admin"))
    listing = client.get("/admin/intake/entrypoint/").content.decode()
    assert f"/c/{token}/qr.svg" in listing and f"/c/{token}/qr.png" in listing

    with scopes_disabled():
        campus = intake.install_builtin_scenarios(demo)["campus"]
    response = client.post(
        "/admin/intake/entrypoint/add/",
        {"scenario": campus.pk, "place_label": "新河镇 第二小学 校门口", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        created = EntryPoint.objects.get(place_label="新河镇 第二小学 校门口")
    assert created.tenant_id == demo.pk and len(created.token) >= 11


def test_a_deactivated_code_shows_a_friendly_page_with_the_hotline(client, demo):
    token = entry_token(demo.pk, "欠薪")
    with scopes_disabled():
        EntryPoint.objects.filter(token=token).update(active=False)
    before = db_snapshot()

    page = client.get(f"/c/{token}/")
    posted = client.post(f"/c/{token}/", wage_arrears_form())
    api = client.post(
        f"/api/v1/entry-points/{token}/cases/", wage_arrears_form(), content_type="application/json"
    )

    for response in (page, posted):
        assert response.status_code == 410
        html = response.content.decode()
        assert "此二维码已停用" in html and "0576-12345" in html
        assert "Traceback" not in html
    assert api.status_code == 410 and "0576-12345" in api.json()["detail"]
    assert db_snapshot() == before
    assert intake.entry_point_counts(token) == (0, 0)
