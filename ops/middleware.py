"""Request id, request metrics and access log; probes and metrics answered before anything else."""

import logging
import time

from django.http import HttpRequest, HttpResponse

from config.client_address import client_address

from . import context, views

logger = logging.getLogger("ops.access")

# Answered first, before host validation and the HTTPS redirect: the kubelet probes and
# Prometheus scrapes a pod by its IP over plain HTTP, which ALLOWED_HOSTS and
# SECURE_SSL_REDIRECT would refuse.
PROBE_VIEWS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}


class ProbeMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = PROBE_VIEWS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)


class RequestContextMiddleware:
    """Gives every request an id (the caller's X-Request-ID when sane), counts and logs it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .metrics import IN_FLIGHT

        request_id = context.accept_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]  # read by views and logs
        path_token = context.request_path.set(request.path)
        try:
            with context.bound_request_id(request_id), IN_FLIGHT.track_inprogress():
                response = self._served_and_logged(request)
        finally:
            context.request_path.reset(path_token)
        response["X-Request-ID"] = request_id
        return response

    def _served_and_logged(self, request: HttpRequest) -> HttpResponse:
        """The access log: the server's own is off (ops/server.py), this is the only one."""
        from .metrics import LATENCY, REQUESTS

        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_name(request)
        # The URL pattern, not the path: tokens and ids in paths would make a time series per
        # citizen, and a case's private status link is its access key.
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(elapsed)
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            route,
            response.status_code,
            elapsed * 1000,
            extra={
                "client": client_address(request),
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        return response


def route_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.route if match is not None else "<unmatched>"
