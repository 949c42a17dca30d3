"""The application's URLs plus /bench/bare/: the same stack's ceiling, one INSERT per request."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BARE_TABLE = "bench_bare_row"


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """What any write endpoint costs at least here: the middleware stack, one short
    transaction with one INSERT, a tiny response."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (created_at, body) VALUES (now(), %s)",  # noqa: S608
            [request.POST.get("description", "")],
        )
    return HttpResponse("ok", status=201)


urlpatterns = [
    path("bench/bare/", bare_insert, name="bench-bare"),
    path("", include("config.urls")),
]
