"""Case files — citizens' photos and staff's result attachments — served only to staff who
may read the case (never by a public URL; the citizen's own view is the frontend's)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from django_scopes import scopes_disabled

from services.directory.api import staff_info

from .access import readable_cases, shows_reporter
from .file_serving import private_file_response
from .models import CasePhoto, ResultFile
from .result_files import file_response


@require_GET
@login_required
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponseBase:
    with scopes_disabled():
        found = (
            CasePhoto.objects.filter(token=token, case__in=readable_cases(request.user))
            .select_related("case__scenario")
            .first()
        )
    # Unknown, not this user's to see, or a confidential reporter's: the same answer.
    if found is None or not (
        request.user.is_superuser or shows_reporter(staff_info(request.user), found.case)
    ):
        raise Http404
    field = found.thumbnail if variant == "thumb" else found.image
    return private_file_response(field, "image/jpeg")


@require_GET
@login_required
def result_file(request: HttpRequest, token: str, variant: str) -> HttpResponseBase:
    with scopes_disabled():
        found = ResultFile.objects.filter(
            token=token, case__in=readable_cases(request.user)
        ).first()
    if found is None:
        raise Http404
    return file_response(found, variant)
