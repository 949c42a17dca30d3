"""The database goes away for a few seconds during submissions (PostgreSQL only)."""

import psycopg
import pytest
from django.db import connection
from django_scopes import scopes_disabled

from services.intake.models import Case
from tests.builders import entry_token, wage_arrears_form

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _admin_sql(sql: str, params: tuple | None = None) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql, params)


def _outage(db_name: str, on: bool) -> None:
    allow = "false" if on else "true"
    _admin_sql(f'ALTER DATABASE "{db_name}" WITH ALLOW_CONNECTIONS {allow}')
    if on:
        _admin_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (db_name,),
        )


def _count() -> int:
    with scopes_disabled():
        return Case.objects.count()


def test_outage_gives_503_and_loses_nothing_accepted(client, demo):
    url = f"/c/{entry_token(demo.pk, '欠薪')}/"
    db_name = connection.settings_dict["NAME"]
    assert client.post(url, wage_arrears_form()).status_code == 302

    _outage(db_name, on=True)
    try:
        refused = client.post(url, wage_arrears_form(description="停机期间提交"))
    finally:
        _outage(db_name, on=False)

    assert refused.status_code == 503
    assert refused["Retry-After"] == "30"
    assert "尚未提交成功" in refused.content.decode()

    connection.close()
    assert client.post(url, wage_arrears_form(description="恢复后提交")).status_code == 302
    with scopes_disabled():
        descriptions = sorted(Case.objects.values_list("description", flat=True))
    assert descriptions == sorted([wage_arrears_form()["description"], "恢复后提交"])
