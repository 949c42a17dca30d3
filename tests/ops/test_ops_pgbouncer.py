"""The app through a real PgBouncer in transaction pooling (what k8s/ runs): DATABASE_POOLER
points it there, and it works with no session of its own to rely on."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from tests.ops_processes import env_for_test_database, free_port, manage, port_open, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

CHECK = """
from django.db import connection
from django_tasks_db.models import DBTaskResult
from ops import health
from ops.housekeeping import prune_task_results_task
settings = connection.settings_dict
print("through", settings["HOST"], settings["PORT"])
print("server-side cursors off:", settings["DISABLE_SERVER_SIDE_CURSORS"])
print("ready:", all(check.ok for check in health.readiness()))
for _ in range(3):
    prune_task_results_task.enqueue()
print("tasks:", sum(1 for _ in DBTaskResult.objects.iterator(chunk_size=1)))
"""


@pytest.fixture
def pgbouncer():
    """PgBouncer on a free port in transaction pooling, in front of the test's PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("PgBouncer pools PostgreSQL connections")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is required in CI (.ci/run installs it)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    db = connection.settings_dict
    port = free_port()
    # Its own readable directory: PgBouncer refuses to run as root, so it runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    workdir.chmod(0o755)
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {workdir / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    (workdir / "users.txt").write_text(f'"{db["USER"]}" ""\n')
    command = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: port_open(port), 30, "PgBouncer to listen")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_app_works_through_transaction_pooling(pgbouncer):
    env = env_for_test_database(DATABASE_POOLER=pgbouncer)
    done = manage("shell", "-c", CHECK, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    port = pgbouncer.rsplit(":", 1)[1]
    assert f"through 127.0.0.1 {port}" in done.stdout
    assert "server-side cursors off: True" in done.stdout
    assert "ready: True" in done.stdout
    assert "tasks: 3" in done.stdout
    check = manage("migrate", "--check", env=env, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
