"""Open311 GeoReport v2 over HTTP (/open311/v2/): thin views over documents.py, each answering
in the format its URL names (.json / .xml), errors included."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from . import documents
from .documents import Open311Error
from .formats import respond

# XML root element of each document (JSON is the bare list or object).
SERVICE_REQUESTS = "service_requests"


def _answer(fmt: str, root: str, build: Callable[[], Any], status: int = 200) -> HttpResponse:
    try:
        return respond(fmt, root, build(), status)
    except Open311Error as error:
        response = respond(fmt, "errors", error.document(), error.status)
        if error.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="open311"'
        return response


@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    return _answer(fmt, "discovery", lambda: documents.discovery(documents.endpoint_url()))


@require_GET
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return _answer(
        fmt, "services", lambda: documents.service_list(documents.jurisdiction(request.GET))
    )


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return _answer(
        fmt,
        "service_definition",
        lambda: documents.service_definition(documents.jurisdiction(request.GET), code),
    )


# Partners authenticate with a key in the body or a header, never a session cookie: there is
# no ambient credential for a cross-site form to borrow, so CSRF tokens have nothing to guard.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _answer(fmt, SERVICE_REQUESTS, lambda: documents.submit(request), status=201)
    return _answer(fmt, SERVICE_REQUESTS, lambda: documents.service_requests(request))


@require_GET
def service_request(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    return _answer(
        fmt, SERVICE_REQUESTS, lambda: documents.service_request(request, service_request_id)
    )


@require_GET
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    return _answer(fmt, SERVICE_REQUESTS, lambda: documents.token(token))
