"""The restore runbook, rehearsed: the backup script dumps the real PostgreSQL, the restore
script brings it back into a fresh database and the app's own checks pass on it."""

import os
import secrets
import subprocess
import sys

import psycopg
import pytest
from django.db import connection
from django_scopes import scopes_disabled

from tests.builders import entry_token, wage_arrears_form
from tests.helpers import all_cases
from tests.ops_processes import ROOT, env_for_test_database

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

SCRIPTS = ROOT / "k8s" / "base" / "backup"


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("backups are PostgreSQL's (pg_dump); the embedded SQLite is one file")
    return env_for_test_database()["DATABASE_URL"]


@pytest.fixture
def fresh_database(postgres):
    """A new, empty database on the same server, dropped afterwards."""
    name = f"restore_{secrets.token_hex(4)}"
    server = postgres.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(SCRIPTS / script), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_backup_restores_into_a_fresh_database_that_the_app_accepts(
    demo, client, postgres, fresh_database, tmp_path
):
    response = client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    assert response.status_code == 302
    with scopes_disabled():
        cases = len(all_cases())
    assert cases >= 1

    for _ in range(2):  # two nights, one kept
        backup = run(
            "pg-backup.sh", DATABASE_URL=postgres, BACKUP_DIR=str(tmp_path), BACKUP_KEEP="1"
        )
        assert backup.returncode == 0, backup.stderr
    (dump,) = tmp_path.glob("gongzhima-*.dump")
    assert not list(tmp_path.glob("*.partial"))

    restore = run("pg-restore.sh", str(dump), fresh_database, MANAGE=f"{sys.executable} manage.py")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert f"cases {cases}\n" in restore.stdout
    assert "tenants 1\n" in restore.stdout
    assert "app checks passed on the restored database" in restore.stdout
    with psycopg.connect(fresh_database) as restored:
        (tracking,) = restored.execute("SELECT tracking_number FROM intake_case").fetchone()
    with scopes_disabled():
        assert tracking == all_cases()[0].tracking_number

    again = run("pg-restore.sh", str(dump), fresh_database, SKIP_APP_CHECKS="1")
    assert again.returncode == 1, "restored over a database that has data"
    assert "restore into a new one" in again.stderr
