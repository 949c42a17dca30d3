"""Liveness, readiness and metrics endpoints (served by ops.middleware.ProbeMiddleware)."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import health


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Deliberately touches no dependency, so a database outage
    makes pods unready (out of the Service) instead of restarting all of them."""
    return HttpResponse("ok\n", content_type="text/plain")


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and this code's migrations are applied (503 names the
    check that failed; the log says why). Redis down leaves the pod ready, "degraded"."""
    checks = health.readiness()
    status = health.verdict(checks)
    return JsonResponse(
        {"status": status, "checks": {check.name: check.detail for check in checks}},
        status=503 if status == "unavailable" else 200,
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <it>`."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return HttpResponse("metrics need the bearer token\n", status=401)
    from .metrics import REGISTRY

    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
