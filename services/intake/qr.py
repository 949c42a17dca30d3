"""QR codes for entry points, as SVG and PNG.

Error correction level Q restores up to ~25% of the code: posters get scuffed, rained on,
half-covered by another notice and printed small. The 4-module quiet zone is what phone
scanners need to find the code on a busy wall. A short URL keeps the code at version 4
(33 modules), so each module stays large when printed at 2-3 cm.
"""

import io

import qrcode
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

from services import public_urls

PNG_BOX_PIXELS = 10  # 410 px for a version-4 code: sharp on screen and on a 300-dpi print


def entry_point_url(token: str) -> str:
    """What the entry point's QR code encodes: the form's public link."""
    return public_urls.entry_form(token)


def qr_code(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules, quiet zone included: True is dark."""
    return qr_code(data).get_matrix()


def qr_svg(data: str) -> bytes:
    buffer = io.BytesIO()
    qr_code(data).make_image(image_factory=SvgPathImage).save(buffer)
    return buffer.getvalue()


def qr_png(data: str, box_pixels: int = PNG_BOX_PIXELS) -> bytes:
    code = qr_code(data)
    code.box_size = box_pixels
    buffer = io.BytesIO()
    code.make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()
