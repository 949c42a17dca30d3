"""One endpoint: what a durable write costs with Django and nothing else."""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

ROW_TABLE = "bench_bare_row"
EVENT_TABLE = "bench_bare_event"


def two_inserts(request: HttpRequest) -> HttpResponse:
    """A row and its event, in one transaction, like a case and its timeline row."""
    body = request.POST.get("description", "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ROW_TABLE} (created_at, body) VALUES (now(), %s) RETURNING id",  # noqa: S608
            [body],
        )
        (row_id,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {EVENT_TABLE} (row_id, at) VALUES (%s, now())",  # noqa: S608
            [row_id],
        )
    return HttpResponse("ok", status=201)


urlpatterns = [path("", two_inserts)]
