"""Citizens' links: one module makes them (services/public_urls.py), every service asks it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import resolve, set_script_prefix

from frontend import views
from services import public_urls

ROOT = Path(settings.BASE_DIR)


@pytest.mark.parametrize(
    ("link", "path", "view"),
    [
        (lambda: public_urls.entry_form("Ab3dE5"), "/c/Ab3dE5/", views.entry_form),
        (lambda: public_urls.entry_qr_image("Ab3dE5"), "/c/Ab3dE5/qr.svg", views.entry_qr_svg),
        (
            lambda: public_urls.entry_qr_image("Ab3dE5", "png"),
            "/c/Ab3dE5/qr.png",
            views.entry_qr_png,
        ),
        (lambda: public_urls.receipt("K3y"), "/r/K3y/", views.receipt),
        (lambda: public_urls.case_status("K3y"), "/s/K3y/", views.status),
        (lambda: public_urls.status_lookup(), "/status/", views.status_lookup),
        (lambda: public_urls.survey("T0k"), "/v/T0k/", views.survey),
    ],
)
def test_each_link_is_the_public_base_and_the_pages_own_path(link, path, view, settings):
    settings.PUBLIC_BASE_URL = "https://gzm.wenling.gov.cn"
    url = link()
    assert url == f"https://gzm.wenling.gov.cn{path}"
    assert resolve(path).func is view


def test_a_site_under_a_prefix_gets_it_once(settings):
    """PUBLIC_BASE_URL names the site's root, prefix included; a request served under that
    prefix (SCRIPT_NAME) must not add it again."""
    settings.PUBLIC_BASE_URL = "https://www.wenling.gov.cn/gzm"
    set_script_prefix("/gzm/")
    try:
        assert public_urls.case_status("K3y") == "https://www.wenling.gov.cn/gzm/s/K3y/"
    finally:
        set_script_prefix("/")


def test_unknown_qr_image_formats_are_refused():
    with pytest.raises(ValueError, match="svg or png"):
        public_urls.entry_qr_image("Ab3dE5", "gif")


# A citizen path put together by hand: "/s/{...}", f"{base}/c/{token}/", or an absolute URL
# built from the request (its host may be a proxy's internal name).
HAND_BUILT = re.compile(
    r"""/(?:c|s|r|v)/\{"""  # an f-string's /s/{key}
    r"""|PUBLIC_BASE_URL\}?\s*\+?\s*f?["']/(?:c|s|r|v|status)/"""
    r"""|\{base\}/(?:c|s|r|v|status)/"""
    r"""|build_absolute_uri\(\s*f?["']/(?:c|s|r|v|status)/"""
    r"""|reverse\(\s*["']frontend:(?:entry|entry-qr-svg|entry-qr-png|receipt|status|survey)["']"""
)


def test_the_pattern_catches_the_ways_links_used_to_be_built():
    for line in (
        'return f"{settings.PUBLIC_BASE_URL}/v/{survey.token}/"',
        'request.build_absolute_uri(f"/s/{case.access_key}/")',
        'self.stdout.write(f"  {label}\\n    {base}/c/{token}/")',
        'reverse("frontend:entry", args=[obj.token])',
    ):
        assert HAND_BUILT.search(line), line
    assert not HAND_BUILT.search('redirect("frontend:receipt", key=case.access_key)')


def test_no_other_module_builds_a_citizens_link():
    owner = ROOT / "services" / "public_urls.py"
    offenders = []
    for folder in ("services", "frontend", "demo", "ops", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == owner or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if HAND_BUILT.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "ask services.public_urls instead:\n" + "\n".join(offenders)
