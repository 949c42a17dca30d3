"""Hands a private file (a citizen's photo, a result attachment) to someone the caller has
already found allowed to see it.

By default the view streams it. With an object-storage bucket and
PRIVATE_STORAGE_SIGNED_URL_SECONDS > 0 the view redirects instead to a URL the bucket signs
for that many seconds, so large files do not pass through the web pods; the bucket stays
private, so the signed URL is the only way in and it expires.
"""

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

CACHE_SECONDS = 3600


def _signs_urls(stored: FieldFile) -> bool:
    # django-storages' S3 backends sign their URLs (querystring_auth); the filesystem has none.
    return bool(getattr(stored.storage, "querystring_auth", False))


def private_file_response(
    stored: FieldFile, content_type: str, *, download_name: str | None = None
) -> HttpResponseBase:
    """The file, streamed or as a redirect to a short-lived signed URL. `download_name` makes
    it a download (attachment) under that name instead of something the browser shows."""
    seconds = settings.PRIVATE_STORAGE_SIGNED_URL_SECONDS
    if seconds > 0 and _signs_urls(stored):
        parameters = {
            "ResponseContentType": content_type,
            "ResponseCacheControl": f"private, max-age={min(seconds, CACHE_SECONDS)}",
        }
        if download_name is not None:
            parameters["ResponseContentDisposition"] = content_disposition_header(
                True, download_name
            )
        # django-storages' S3 url() signs with these; Storage.url() declares only the name.
        url = stored.storage.url(stored.name, parameters=parameters, expire=seconds)  # type: ignore[call-arg]
        response: HttpResponseBase = HttpResponseRedirect(url)
        # The signed URL expires: nobody may keep the redirect longer than it.
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        stored.open("rb"),
        content_type=content_type,
        as_attachment=download_name is not None,
        filename=download_name or "",
    )
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
