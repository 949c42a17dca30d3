"""Cross-cutting protection at the edge of every request: abuse limits and a database outage.

Rate limits are data (settings.RATE_LIMITS: URL name → method → limits), so a new public
endpoint gets a limit by naming it there rather than by decorating its view.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_ratelimit.core import is_ratelimited

from services import json_bodies
from services.identifiers.phones import normalised_or_empty
from services.identifiers.tracking_numbers import normalise_tracking_number
from services.intake import api as intake
from services.problems import PROBLEM_MEDIA_TYPE, problem_body

from .client_address import client_address

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def _posted_phone(request: HttpRequest) -> str:
    """reporter_phone of a form, a multipart body or (the API) a JSON object."""
    if request.content_type == "application/json":
        try:
            body = json_bodies.parse(request.body)  # Django keeps the bytes: DRF parses again
        except (json_bodies.UnreadableBody, RequestDataTooBig):
            return ""  # the view refuses the body itself; a limit needs no opinion on it
        phone = body.get("reporter_phone") if isinstance(body, dict) else None
        return phone if isinstance(phone, str) else ""
    return request.POST.get("reporter_phone", "")


def _phone(request: HttpRequest) -> str:
    """The posted number as the submission will store it (E.164, read with the tenant's
    region), so every spelling of one number is one key; "" when there is none to count."""
    raw = _posted_phone(request)
    match = request.resolver_match
    token = match.kwargs.get("token", "") if match else ""
    ep = intake.entry_point(token) if raw else None
    return normalised_or_empty(raw, ep.phone_region) if ep else ""


# What a limit counts by: identifiers normalised by their one parser (services.identifiers),
# as the lookups and storage use them, so no other spelling escapes a limit.
KEYS: dict[str, Callable[[HttpRequest], str]] = {
    "ip": client_address,
    "phone": _phone,
    "tracking": lambda request: normalise_tracking_number(request.POST.get("tracking_number", "")),
}


# The API's clients read its one error format (services/problems.py); people read a page.
API_MESSAGES = {
    404: _("没有这个接口地址。"),
    429: _("操作过于频繁，请稍后再试。"),
    500: _("系统出错，请稍后重试。"),
    503: _("系统繁忙，您的信息尚未提交成功，请在半分钟后重试。"),
}


def _api_problem(status: int) -> JsonResponse:
    body = problem_body(status, str(API_MESSAGES[status]))
    return JsonResponse(body, status=status, content_type=PROBLEM_MEDIA_TYPE)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404: an unknown address under /api/ is a problem too (the API's one format)."""
    if request.path.startswith("/api/"):
        return _api_problem(404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an API client gets a problem, never an HTML page."""
    if request.path.startswith("/api/"):
        return _api_problem(500)
    return defaults.server_error(request)


def _refuse(request: HttpRequest, template: str, status: int) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = _api_problem(status)
    else:
        response = HttpResponse(render_to_string(template, request=request), status=status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class RateLimitMiddleware:
    """429 with a localised page once a client (or a phone number) exceeds its limit."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None:
            return None
        limits = settings.RATE_LIMITS.get(match.view_name, {})
        for spec in limits.get(request.method or "", ()):
            key_name, rate = spec.split(":", 1)
            value = KEYS[key_name](request)
            if not value:
                continue
            try:
                limited = is_ratelimited(
                    request,
                    group=f"{match.view_name}:{key_name}",
                    key=lambda g, r, v=value: v,
                    rate=rate,
                    increment=True,
                )
            except Exception:
                # The cache (Redis) being down must not take the public form down with it.
                logger.warning(
                    "Rate limit check failed open for %s", match.view_name, exc_info=True
                )
                return None
            if limited:
                logger.info("Rate limit %s hit on %s by %s", spec, match.view_name, key_name)
                return _refuse(request, "errors/429.html", 429)
        return None


class DatabaseUnavailableMiddleware:
    """A database outage becomes a clear "try again shortly" page (503 + Retry-After),
    never a stack page. Submissions are atomic, so nothing half-stored stays behind."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error(
                "Database unavailable while serving %s %s: %s",
                request.method,
                request.path,
                exception,
            )
            return _refuse(request, "errors/503.html", 503)
        return None
