"""Citizens' photos: checked by content, re-encoded without metadata, thumbnailed.

A photo is trusted only after Pillow has decoded it: the name and the declared content type
are the sender's claims. Re-encoding to a fresh JPEG drops everything but the pixels —
EXIF (GPS location, camera serial, time), XMP, ICC and comments — so nothing the citizen's
phone wrote into the file reaches storage.
"""

import io
import logging
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Case, CasePhoto

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP"})
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; anything larger is a decompression bomb
STORED_MAX_SIDE = 2560  # plenty to read a licence plate; keeps storage small
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: pixels only, as JPEG."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int


def max_photo_bytes() -> int:
    return settings.INTAKE_PHOTO_MAX_BYTES


def _refuse(upload: UploadedFile, message, code: str) -> ValidationError:
    return ValidationError(
        message, code=code, params={"name": upload.name, "max": max_photo_bytes() // 2**20}
    )


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Pillow copies some metadata (comment, ICC profile, EXIF) from `info` into the file it
    # writes; an empty `info` and no exif=/icc_profile=/comment= arguments write none.
    image.info = {}
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha, and palette/CMYK images need converting."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def clean_photo(upload: UploadedFile) -> CleanPhoto:
    """Checks one uploaded file and returns it re-encoded, or raises ValidationError."""
    if upload.size is not None and upload.size > max_photo_bytes():
        raise _refuse(upload, _("照片“%(name)s”超过 %(max)s MB，请压缩后再上传。"), "too_large")
    not_an_image = _("“%(name)s”不是可识别的图片（支持 JPG、PNG、WEBP），请重新选择。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise _refuse(upload, not_an_image, "not_an_image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(upload, not_an_image, "too_many_pixels")
                probe.verify()  # walks the whole file: a truncated or forged one fails here
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)  # keep orientation, then drop EXIF
                pixels = _flatten(upright)
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,  # Pillow's PNG decoder reports broken chunks this way
        ValueError,
    ) as exc:
        logger.info("Refused upload %r: %s", upload.name, exc)
        raise _refuse(upload, not_an_image, "not_an_image") from exc
    pixels.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
    stored = _jpeg(pixels)
    thumb = pixels.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return CleanPhoto(stored, _jpeg(thumb), pixels.width, pixels.height)


def store_photos(case: Case, photos: list[CleanPhoto]) -> list[CasePhoto]:
    """Saves the files and their rows. Files are not transactional: the caller deletes them
    (`discard_files`) if the transaction that holds the rows rolls back."""
    stored = []
    try:
        for order, photo in enumerate(photos):
            row = CasePhoto(
                tenant_id=case.tenant_id,
                case=case,
                width=photo.width,
                height=photo.height,
                size=len(photo.image),
                order=order,
            )
            row.image.save("full.jpg", ContentFile(photo.image), save=False)
            stored.append(row)
            row.thumbnail.save("thumb.jpg", ContentFile(photo.thumbnail), save=False)
            row.save()
    except Exception:
        discard_files(stored)
        raise
    return stored


def discard_files(rows: list[models.Model]) -> None:
    """Deletes the stored files of rows (photos, result files) whose transaction rolled back."""
    for row in rows:
        for model_field in row._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                stored = getattr(row, model_field.name)
                if stored.name:
                    stored.storage.delete(stored.name)
