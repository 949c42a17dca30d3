"""办理结果附件: photos and PDF documents staff attach to their result.

Photos go through the citizens' photo checks (photos.clean_photo: decoded, bounded,
re-encoded without metadata). A PDF cannot be re-encoded here, so it is accepted only when it
looks like one from end to end, within the same size limit, and is only ever served as a
download under a sandboxing policy.
"""

import os
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from .file_serving import private_file_response
from .models import Case, ResultFile
from .photos import clean_photos, discard_files, limits

MAX_FILES = 5
PDF_MAGIC = b"%PDF-"
# A PDF ends with %%EOF, possibly followed by a line break or a little padding.
PDF_TAIL_BYTES = 1024


@dataclass(frozen=True)
class CleanResultFile:
    kind: str
    name: str
    content: bytes
    thumbnail: bytes = b""


def _display_name(upload: UploadedFile, kind: str) -> str:
    """The name staff and the citizen see: the base name only, no directories, bounded."""
    base = os.path.basename((upload.name or "").replace("\\", "/")).strip()
    stem, ext = os.path.splitext(base)
    ext = ".pdf" if kind == ResultFile.Kind.DOCUMENT else ".jpg"
    return f"{(stem or 'file')[:80]}{ext}"


def _is_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    return upload.read(len(PDF_MAGIC)) == PDF_MAGIC


def _clean_pdf(upload: UploadedFile) -> bytes:
    max_bytes = limits().max_bytes  # the same bound as a photo's
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("文件“%(name)s”超过 %(max)s MB，请压缩后再上传。"),
            code="too_large",
            params={"name": upload.name, "max": max_bytes // 2**20},
        )
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes or b"%%EOF" not in content[-PDF_TAIL_BYTES:]:
        raise ValidationError(
            _("“%(name)s”不是完整的 PDF 文件，请重新导出后上传。"),
            code="not_a_pdf",
            params={"name": upload.name},
        )
    return content


def clean_result_files(uploads: list[UploadedFile]) -> list[CleanResultFile]:
    """Checks every upload before anything is stored; ValidationError names the first bad one."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            _("办理结果最多附 %(max)s 个文件。"), code="too_many", params={"max": MAX_FILES}
        )
    images = [upload for upload in uploads if not _is_pdf(upload)]
    # The photos together, as a citizen's submission: bounded per photo and in total.
    photos = iter(clean_photos(images))
    cleaned = []
    for upload in uploads:
        if _is_pdf(upload):
            kind = ResultFile.Kind.DOCUMENT
            cleaned.append(CleanResultFile(kind, _display_name(upload, kind), _clean_pdf(upload)))
        else:
            photo = next(photos)
            kind = ResultFile.Kind.PHOTO
            cleaned.append(
                CleanResultFile(kind, _display_name(upload, kind), photo.image, photo.thumbnail)
            )
    return cleaned


def store_result_files(
    case: Case, files: list[CleanResultFile], *, by=None, public: bool = True
) -> list[ResultFile]:
    """Saves the files and their rows for the case's current round. Files are not
    transactional: the caller discards them (photos.discard_files) on a rollback."""
    stored: list[ResultFile] = []
    try:
        for clean in files:
            row = ResultFile(
                tenant_id=case.tenant_id,
                case=case,
                kind=clean.kind,
                name=clean.name,
                size=len(clean.content),
                public=public,
                round=case.reopen_count,
                uploaded_by=by,
            )
            stored.append(row)
            is_photo = clean.kind == ResultFile.Kind.PHOTO
            row.file.save("full.jpg" if is_photo else "doc.pdf", ContentFile(clean.content), False)
            if is_photo:
                row.thumbnail.save("thumb.jpg", ContentFile(clean.thumbnail), save=False)
            row.save()
    except Exception:
        discard_files(stored)
        raise
    return stored


def file_response(row: ResultFile, variant: str) -> HttpResponseBase:
    """The file (or a photo's thumbnail, variant "thumb") for whoever was found allowed.
    Documents are always downloads, never rendered in the site's origin."""
    if row.kind == ResultFile.Kind.PHOTO:
        field = row.thumbnail if variant == "thumb" else row.file
        response = private_file_response(field, "image/jpeg")
    else:
        response = private_file_response(row.file, "application/pdf", download_name=row.name)
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
