"""QR codes for entry points."""

import io

import qrcode
from django.conf import settings
from qrcode.image.svg import SvgPathImage


def entry_point_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/c/{token}/"


def _code(data: str) -> qrcode.QRCode:
    # Level Q survives ~25% damage: posters get scuffed, rained on and printed small.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> bytes:
    buffer = io.BytesIO()
    _code(data).make_image(image_factory=SvgPathImage).save(buffer)
    return buffer.getvalue()
