"""Citizens' public links (市民链接): the one place that makes them.

QR codes, posters, SMS, receipts, desk slips and the API's receipt all give citizens links to the
same few pages: the scenario form behind a poster, the receipt, the private status page and the
personal survey. Every one is `PUBLIC_BASE_URL` plus the path the URLconf (frontend/urls.py)
gives the page's name, so a link printed on a poster, sent by SMS and shown on a receipt is the
same link, and moving a page changes every link at once. Links are absolute and never taken
from the request's host: behind a proxy that is an internal name, and a link made by a worker
has no request at all.

Pages link to each other with `{% url %}` / `redirect()` as usual; this module is for links that
leave the site (printed, texted, returned by the API). It depends on nothing of the project
(an import-linter contract keeps it so) and a test refuses citizen paths built anywhere else.
"""

from django.conf import settings
from django.urls import get_script_prefix, reverse


def entry_form(token: str) -> str:
    """The scenario form behind a QR entry point (扫码页面), what every poster's code encodes."""
    return _absolute("frontend:entry", token)


def entry_qr_image(token: str, image_format: str = "svg") -> str:
    """The entry point's QR code as an image (svg or png)."""
    if image_format not in ("svg", "png"):
        raise ValueError(f"QR images are svg or png, not {image_format!r}")
    return _absolute(f"frontend:entry-qr-{image_format}", token)


def receipt(access_key: str) -> str:
    """The page right after submitting (受理回执), with the tracking number."""
    return _absolute("frontend:receipt", access_key)


def case_status(access_key: str) -> str:
    """The case's private status page (办理进度), reached only through this link."""
    return _absolute("frontend:status", access_key)


def status_lookup() -> str:
    """The status lookup by tracking number and phone (进度查询)."""
    return _absolute("frontend:status-lookup")


def survey(token: str) -> str:
    """A survey round's personal page (满意度评价), sent in the survey SMS."""
    return _absolute("frontend:survey", token)


def _absolute(name: str, *args: str) -> str:
    path = reverse(name, args=args)
    # PUBLIC_BASE_URL already ends where the site's root is (a prefix included, if any).
    prefix = get_script_prefix()
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return f"{settings.PUBLIC_BASE_URL}{path}"
