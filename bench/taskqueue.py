"""The task layer side by side: this project's worker (django-tasks-db rows, woken by NOTIFY,
batch claims) against procrastinate 3 (PostgreSQL-native), both on the local PostgreSQL with
one worker process running no-op tasks, measured in one run:

- enqueue: 1,000 tasks, one per transaction (as 1,000 events would), ms per task;
- drain: the 1,000 run by one worker, tasks per second;
- wake: an idle worker, one task enqueued every 0.3 s, 20 times: enqueue → start, p50/max ms.

    .venv/bin/python -m bench.taskqueue                        # this project's worker only
    PROCRASTINATE_PYTHON=/path/to/venv/bin/python .venv/bin/python -m bench.taskqueue

procrastinate is not a dependency of the project: give an interpreter that has it (the same
PostgreSQL driver) to measure it too. Time in each case is read from the database's own rows.
"""

import os
import statistics
import subprocess
import sys
import time

from . import common

N = 1000
WAKES = 20


# --- this project ---------------------------------------------------------------------------


def ours() -> dict:
    _url, env = common.prepare_database("ops_bench_taskqueue")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from services.eventbus.queue import enqueue_together

    from .noop_task import noop as noop_task

    started = time.perf_counter()
    for _ in range(N):
        with transaction.atomic():
            enqueue_together([(noop_task, (), {})])
    enqueue_ms = (time.perf_counter() - started) * 1000 / N
    with common._process(env, "manage.py", "db_worker", "--queue-name", "default",
                         "--interval", "1", "--no-reload", "--no-startup-delay"):  # fmt: skip
        drain = _wait_drained(lambda: DBTaskResult.objects.exclude(status="SUCCESSFUL").count())
        time.sleep(2)  # idle now, waiting on LISTEN
        before = set(DBTaskResult.objects.values_list("pk", flat=True))
        for _ in range(WAKES):
            noop_task.enqueue()
            time.sleep(0.3)
        _wait_drained(lambda: DBTaskResult.objects.exclude(status="SUCCESSFUL").count())
    rows = DBTaskResult.objects.exclude(pk__in=before)
    wakes = [(r.started_at - r.enqueued_at).total_seconds() * 1000 for r in rows]
    return {"enqueue_ms": enqueue_ms, "per_second": N / drain, "wakes": wakes}


def _wait_drained(left, timeout: float = 600) -> float:
    started = time.perf_counter()
    while left() and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    return time.perf_counter() - started


# --- procrastinate, in the interpreter that has it ------------------------------------------

PROCRASTINATE = r"""
import json, sys, time, statistics, subprocess, psycopg, procrastinate
url, n, wakes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=url))
@app.task(name="noop", queue="default")
def noop():
    pass
if sys.argv[4:] == ["worker"]:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    app.task(name="noop", queue="default")(lambda: None)
    app.run_worker(queues=["default"], concurrency=1, fetch_job_polling_interval=1,
                   install_signal_handlers=True)
    sys.exit()
with app.open():
    app.schema_manager.apply_schema()
    t = time.perf_counter()
    for _ in range(n):
        noop.defer()
    enqueue_ms = (time.perf_counter() - t) * 1000 / n
conn = psycopg.connect(url, autocommit=True)
left = lambda: conn.execute("select count(*) from procrastinate_jobs where status <> 'succeeded'").fetchone()[0]
worker = subprocess.Popen([sys.executable, "-c", sys.argv[5], url, "0", "0", "worker"])
t = time.perf_counter()
while left() and time.perf_counter() - t < 600:
    time.sleep(0.05)
drain = time.perf_counter() - t
time.sleep(2)
last = conn.execute("select coalesce(max(id), 0) from procrastinate_jobs").fetchone()[0]
with app.open():
    for _ in range(wakes):
        noop.defer()
        time.sleep(0.3)
t = time.perf_counter()
while left() and time.perf_counter() - t < 60:
    time.sleep(0.05)
worker.terminate(); worker.wait(30)
rows = conn.execute(
    "select extract(epoch from s.at - d.at) * 1000 from procrastinate_events d"
    " join procrastinate_events s on s.job_id = d.job_id and s.type = 'started'"
    " where d.type = 'deferred' and d.job_id > %s", (last,)).fetchall()
print(json.dumps({"enqueue_ms": enqueue_ms, "per_second": n / drain, "wakes": [float(r[0]) for r in rows]}))
"""


def theirs(python: str) -> dict:
    import json

    url = common.database_url("ops_bench_procrastinate")
    common.recreate_database(url)
    out = subprocess.run(  # noqa: S603 (an interpreter the operator named)
        [python, "-c", PROCRASTINATE, url, str(N), str(WAKES), "main", PROCRASTINATE],
        capture_output=True, text=True, timeout=900, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(name: str, data: dict) -> str:
    wakes = data["wakes"]
    return (
        f"| {name} | {data['enqueue_ms']:.2f} | {data['per_second']:.0f} |"
        f" {statistics.median(wakes):.0f} | {max(wakes):.0f} |"
    )


def main() -> None:
    results = {"this project (django-tasks-db + services/eventbus worker)": ours()}
    python = os.environ.get("PROCRASTINATE_PYTHON")
    if python:
        results["procrastinate 3.10"] = theirs(python)
    print("| task layer | enqueue ms/task | drain tasks/s (1 worker) | wake p50 ms | wake max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, data in results.items():
        print(row(name, data))
    if len(results) == 2:
        a, b = results.values()
        print(
            f"\nratios (this project / procrastinate): enqueue {a['enqueue_ms'] / b['enqueue_ms']:.2f}×,"
            f" drain {a['per_second'] / b['per_second']:.2f}×,"
            f" wake p50 {statistics.median(a['wakes']) / statistics.median(b['wakes']):.2f}×"
        )


if __name__ == "__main__":
    sys.exit(main())
