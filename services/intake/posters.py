"""Printable A4 posters of entry points (二维码海报), one page each, in one PDF.

The code is drawn as vector squares from the QR matrix, so it stays sharp at any print size.
Chinese text uses a standard CID font (STSong-Light) that every PDF reader provides, so the
file carries no font and stays small enough to mail a township's whole batch.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from .qr import qr_matrix

FONT = "STSong-Light"
BRAND = HexColor("#1565c0")
QR_SIDE = 130 * mm  # scans from 2-3 m away, the distance at which people stand before a notice
PAGE_W, PAGE_H = A4


@dataclass(frozen=True)
class Poster:
    tenant_name: str
    scenario_name: str
    place_label: str
    url: str
    hotline: str


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _centred(canvas: Canvas, text: str, y: float, size: float, max_width: float) -> None:
    """One line, centred, shrunk until it fits the width (long place labels)."""
    while size > 8 and pdfmetrics.stringWidth(text, FONT, size) > max_width:
        size -= 1
    canvas.setFont(FONT, size)
    canvas.drawCentredString(PAGE_W / 2, y, text)


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, side: float) -> None:
    matrix = qr_matrix(url)
    n = len(matrix)
    module = side / n
    canvas.setFillColor(white)
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColor(black)
    for row, cells in enumerate(matrix):
        top = y + side - (row + 1) * module
        col = 0
        while col < n:  # one rectangle per horizontal run of dark modules
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < n and cells[col]:
                col += 1
            # A hair of overlap so no white seams show between neighbouring rectangles.
            canvas.rect(x + start * module, top, (col - start) * module + 0.05, module + 0.05, 0, 1)


def _page(canvas: Canvas, poster: Poster) -> None:
    width = PAGE_W - 30 * mm
    canvas.setFillColor(BRAND)
    canvas.rect(0, PAGE_H - 32 * mm, PAGE_W, 32 * mm, stroke=0, fill=1)
    canvas.setFillColor(white)
    _centred(canvas, f"{poster.tenant_name} · {_('共治码')}", PAGE_H - 20 * mm, 22, width)
    canvas.setFillColor(black)
    _centred(canvas, poster.scenario_name, PAGE_H - 58 * mm, 44, width)
    qr_bottom = PAGE_H - 70 * mm - QR_SIDE
    _draw_qr(canvas, poster.url, (PAGE_W - QR_SIDE) / 2, qr_bottom, QR_SIDE)
    if poster.place_label:
        _centred(canvas, poster.place_label, qr_bottom - 14 * mm, 20, width)
    canvas.setFillColor(BRAND)
    _centred(
        canvas,
        _("用手机相机或微信扫一扫，即可反映问题、查询办理进度"),
        qr_bottom - 30 * mm,
        17,
        width,
    )
    canvas.setFillColor(HexColor("#555555"))
    if poster.hotline:
        _centred(
            canvas,
            _("服务热线：%(hotline)s") % {"hotline": poster.hotline},
            22 * mm,
            13,
            width,
        )
    _centred(canvas, poster.url, 14 * mm, 9, width)


def render_posters(
    posters: Iterable[Poster],
    out: BinaryIO,
    *,
    progress: Callable[[], None] | None = None,
) -> int:
    """Writes one A4 page per poster to `out`; returns the number of pages."""
    _font()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("共治码二维码海报"))
    pages = 0
    for poster in posters:
        _page(canvas, poster)
        canvas.showPage()
        pages += 1
        if progress is not None:
            progress()
    if pages == 0:
        raise ValueError("No entry point to print")
    canvas.save()
    return pages
