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
        from .metrics import IN_FLIGHT, LATENCY, REQUESTS

        request_id = context.accept_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        started = time.perf_counter()
        with context.bound_request_id(request_id), IN_FLIGHT.track_inprogress():
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            # The URL pattern, not the path: tokens and ids in paths would make a time
            # series per citizen.
            match = request.resolver_match
            route = match.route if match is not None else "<unmatched>"
            REQUESTS.labels(request.method, route, str(response.status_code)).inc()
            LATENCY.labels(request.method, route).observe(elapsed)
            # The route, not the path: a case's private status link is its access key.
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
        response["X-Request-ID"] = request_id
        return response
