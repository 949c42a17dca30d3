"""Citizens' photos: checked by content and size, re-encoded without metadata, thumbnailed.

A photo is trusted only after Pillow has decoded it: the name and the declared content type
are the sender's claims. Re-encoding to a fresh JPEG drops everything but the pixels —
EXIF (GPS location, camera serial, time), XMP, ICC and comments — so nothing the citizen's
phone wrote into the file reaches storage.

This module owns the upload limits (`limits()`, from the INTAKE_PHOTO_* settings) and every
upload path goes through `clean_photos`. Memory stays bounded (a web pod has 512 Mi): a
6 KB PNG can declare 49 megapixels, so nothing is decoded before the headers of all of a
submission's photos have passed the pixel limits; then the photos are decoded one at a time
on the process's decoder threads (`decodes_per_process`), each shrunk to its stored size
without a second full-size copy (downscale.py), so a decoder holds one full-size image at
most. Uploads above Django's FILE_UPLOAD_MAX_MEMORY_SIZE arrive as temporary files and are
read from disk, never whole.
"""

import contextvars
import io
import logging
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .downscale import shrink
from .models import Case, CasePhoto

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP"})
STORED_MAX_SIDE = 2560  # plenty to read a licence plate; keeps storage small
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
# What Pillow raises on a broken or hostile file.
UNREADABLE = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    SyntaxError,  # Pillow's PNG decoder reports broken chunks this way
    ValueError,
)


@dataclass(frozen=True)
class PhotoLimits:
    """What one upload and one submission may hold (settings; see README)."""

    max_bytes: int  # one file, as uploaded
    max_pixels: int  # one photo, width × height by its header
    max_total_pixels: int  # all photos of a submission, as decoded (see _decode_small)
    decodes_per_process: int  # photos a process decodes at the same time


def limits() -> PhotoLimits:
    return PhotoLimits(
        max_bytes=settings.INTAKE_PHOTO_MAX_BYTES,
        max_pixels=settings.INTAKE_PHOTO_MAX_PIXELS,
        max_total_pixels=settings.INTAKE_PHOTO_TOTAL_MAX_PIXELS,
        decodes_per_process=settings.INTAKE_PHOTO_DECODES_PER_PROCESS,
    )


# Photos are decoded on these threads only, not on the requests' threads: glibc gives each
# thread that allocates its own malloc arena and keeps what is freed there, so decoding on
# every request thread in turn would leave one decoded photo's worth of memory behind per
# thread. Here the same few arenas serve every decode.
_decoders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-decoder")


def configure_process() -> None:
    """Applies the limits process-wide (at start-up): Pillow refuses to open any image above
    the photo limit (its own check warns above MAX_IMAGE_PIXELS and fails above twice that;
    clean_photos treats the warning as a refusal too), and decoding gets its threads."""
    global _decoders
    limit = limits()
    Image.MAX_IMAGE_PIXELS = limit.max_pixels
    _decoders = ThreadPoolExecutor(
        max_workers=max(1, limit.decodes_per_process), thread_name_prefix="photo-decoder"
    )


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: pixels only, as JPEG."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int


@dataclass(frozen=True)
class _Inspected:
    """An upload whose header passed: how many pixels decoding it will take."""

    upload: UploadedFile
    decoded_pixels: int


def _pixel_count(pixels: int) -> str:
    """A pixel count as the reader says it, decided when the message is shown: "2500 万" in
    Chinese, "25 million" in English (the translation cannot change the number's unit: the
    catalogue's format check holds it to the Chinese text's arguments)."""

    def spoken() -> str:
        if (get_language() or "").startswith("zh"):
            return f"{pixels / 10_000:g} 万"
        return f"{pixels / 1_000_000:g} million"

    return lazy(spoken, str)()


def _refuse(upload: UploadedFile, message, code: str) -> ValidationError:
    limit = limits()
    return ValidationError(
        message,
        code=code,
        params={
            "name": upload.name,
            "max": limit.max_bytes // 2**20,
            "max_pixels": _pixel_count(limit.max_pixels),
        },
    )


NOT_AN_IMAGE = _("“%(name)s”不是可识别的图片（支持 JPG、PNG、WEBP），请重新选择。")
TOO_MANY_PIXELS = _("照片“%(name)s”像素过大（每张最多 %(max_pixels)s像素），请缩小后再上传。")


def _stored_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size a photo is stored at: within STORED_MAX_SIDE on its longer side."""
    width, height = size
    scale = min(1.0, STORED_MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open(upload: UploadedFile) -> Image.Image:
    """Reads the header only (Pillow decodes on load())."""
    upload.seek(0)
    return Image.open(upload)


def _decode_small(image: Image.Image) -> None:
    """Sets up decoding at the smallest size that still gives the stored size: a JPEG decodes
    at ½, ¼ or ⅛ scale (Pillow's draft), other formats whole. `image.size` follows."""
    image.draft(None, _stored_size(image.size))


def _inspect(upload: UploadedFile, limit: PhotoLimits) -> _Inspected:
    """Checks what can be checked without decoding: size in bytes, format, pixel count and the
    file's structure."""
    if upload.size is not None and upload.size > limit.max_bytes:
        raise _refuse(upload, _("照片“%(name)s”超过 %(max)s MB，请压缩后再上传。"), "too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(upload) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise _refuse(upload, NOT_AN_IMAGE, "not_an_image")
                if probe.width * probe.height > limit.max_pixels:
                    raise _refuse(upload, TOO_MANY_PIXELS, "too_many_pixels")
                _decode_small(probe)
                decoded_pixels = probe.width * probe.height
                probe.verify()  # walks the whole file: a truncated or forged one fails here
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        logger.info("Refused upload %r: %s", upload.name, exc)
        raise _refuse(upload, TOO_MANY_PIXELS, "too_many_pixels") from exc
    except UNREADABLE as exc:
        logger.info("Refused upload %r: %s", upload.name, exc)
        raise _refuse(upload, NOT_AN_IMAGE, "not_an_image") from exc
    return _Inspected(upload, decoded_pixels)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha (`image` is RGB or RGBA, as shrink() made it)."""
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Pillow copies some metadata (comment, ICC profile, EXIF) from `info` into the file it
    # writes; an empty `info` and no exif=/icc_profile=/comment= arguments write none.
    image.info = {}
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _reencode(upload: UploadedFile) -> CleanPhoto:
    """Decodes one inspected photo on a decoder thread (waiting for a free one) and returns it
    at its stored size, re-encoded."""
    context = contextvars.copy_context()  # the request's log context (request id)
    return _decoders.submit(context.run, _decode_and_shrink, upload).result()


def _decode_and_shrink(upload: UploadedFile) -> CleanPhoto:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open(upload)
            _decode_small(image)
            image.load()
            small = shrink(image, _stored_size(image.size))
            del image  # the full-size pixels go before anything else is allocated
            # Orientation and alpha are applied to the small image, never the full one.
            ImageOps.exif_transpose(small, in_place=True)
            pixels = _flatten(small)
            thumb = pixels.copy()
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            return CleanPhoto(_jpeg(pixels), _jpeg(thumb), pixels.width, pixels.height)
    except UNREADABLE as exc:
        logger.info("Refused upload %r: %s", upload.name, exc)
        raise _refuse(upload, NOT_AN_IMAGE, "not_an_image") from exc


def clean_photos(uploads: Sequence[UploadedFile]) -> list[CleanPhoto]:
    """Checks a submission's photos and returns them re-encoded, or raises ValidationError
    naming every photo refused. Nothing is decoded unless every header passed."""
    limit = limits()
    inspected, errors = [], []
    for upload in uploads:
        try:
            inspected.append(_inspect(upload, limit))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if not errors and sum(i.decoded_pixels for i in inspected) > limit.max_total_pixels:
        errors.append(
            ValidationError(
                _(
                    "这些照片合计像素过多（每次提交最多 %(max_pixels)s像素），"
                    "请减少照片张数或缩小后再上传。"
                ),
                code="too_many_pixels_in_submission",
                params={"max_pixels": _pixel_count(limit.max_total_pixels)},
            )
        )
    if errors:
        raise ValidationError(errors)
    photos = []
    for item in inspected:
        try:
            photos.append(_reencode(item.upload))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return photos


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


def discard_files(rows: Sequence[models.Model]) -> None:
    """Deletes the stored files of rows (photos, result files) whose transaction rolled back."""
    for row in rows:
        for model_field in row._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                stored = getattr(row, model_field.name)
                if stored.name:
                    stored.storage.delete(stored.name)
