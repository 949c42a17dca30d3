"""Web servers side by side, and the citizen's submission against a bare Django application.

Part 1 (which server): the same project, database and endpoints under daphne (one process),
gunicorn sync and gthread (WSGI: no websockets), gunicorn managing uvicorn workers (Procfile's
command), uvicorn --workers and granian (ASGI), with the same number of worker processes:
/bench/bare/ (the stack's ceiling, one INSERT) and the citizen's submission, 16 clients.

Part 2 (how lean the submission is): Procfile's web command with the worker count it picks on
this machine, the submission next to a bare Django application outside the project (no
middleware, two INSERTs in one transaction, bench/bare_app/) under the same server and worker
count, at 16 and 64 clients. Load from wrk (`apt-get install wrk`), on 127.0.0.1 only; peak
resident memory of each server's processes sampled while it serves.

    .venv/bin/python -m bench.servers [--quick]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from ops.server import WORKERS_PER_CORE, cpu_cores, procfile_command, web_concurrency

from . import common

THREADS = 2  # wrk's threads
SUBMISSION_CLIENTS = (16, 64)


@dataclass(frozen=True)
class Server:
    name: str
    websockets: bool
    command: tuple[str, ...]  # {port}, {workers} and {app} filled in
    wsgi: bool = False
    processes: int | None = None  # None: the default worker count; daphne runs one


def _procfile_web() -> tuple[str, ...]:
    command = procfile_command("web")
    assert command[0] == "python", command
    return (common.PYTHON, *command[1:-1], "{app}")


SERVERS = [
    Server("daphne, one process (before)", True, (common.PYTHON, "-m", "daphne", "--bind", "127.0.0.1", "--port", "{port}", "{app}"), processes=1),
    Server("gunicorn sync", False, (common.PYTHON, "-m", "gunicorn", "-k", "sync", "-w", "{workers}", "-b", "127.0.0.1:{port}", "--no-control-socket", "{app}"), wsgi=True),
    Server("gunicorn gthread ×4 threads", False, (common.PYTHON, "-m", "gunicorn", "-k", "gthread", "--threads", "4", "-w", "{workers}", "-b", "127.0.0.1:{port}", "--no-control-socket", "{app}"), wsgi=True),
    Server("gunicorn + uvicorn workers (Procfile)", True, _procfile_web()),
    Server("uvicorn --workers", True, (common.PYTHON, "-m", "uvicorn", "--workers", "{workers}", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log", "--lifespan", "off", "{app}")),
    Server("granian (ASGI)", True, (common.PYTHON, "-m", "granian", "--interface", "asgi", "--workers", "{workers}", "--host", "127.0.0.1", "--port", "{port}", "{app}")),
    Server("gunicorn + uvicorn workers, one per core", True, _procfile_web(), processes=cpu_cores()),
]  # fmt: skip
PROCFILE_SERVER = SERVERS[3]


# --- processes and memory -------------------------------------------------------------------


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakMemory:
    """Samples the resident memory of a process and its children every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.processes = pid, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            pids = common.process_tree(self.pid)
            self.peak = max(self.peak, _rss_mib(pids))
            self.processes = max(self.processes, len(pids))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def serving(
    server: Server, env: dict[str, str], workers: int, app: str
) -> Iterator[tuple[str, PeakMemory]]:
    port = common.free_port()
    args = [a.format(port=port, workers=workers, app=app) for a in server.command]
    env = {**env, "PORT": str(port), "WEB_HOST": "127.0.0.1", "WEB_CONCURRENCY": str(workers)}
    # A session of its own: every server's workers are stopped with it (granian's outlive a
    # SIGTERM to their parent otherwise).
    process = subprocess.Popen(  # noqa: S603 (this interpreter, our own modules)
        args,
        cwd=common.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        common.wait_answering(f"{base}/healthz" if "config." in app else f"{base}/", process)
        memory = PeakMemory(process.pid)
        try:
            yield base, memory
        finally:
            memory.stop()
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    # Whatever of the group is left (workers the server did not reap) goes too.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# --- load -----------------------------------------------------------------------------------

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
{headers}
local body = "{body}"
local phone_field = {phone}
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  if phone_field then
    return wrk.format(nil, nil, nil, body .. "&reporter_phone=" .. string.format("139%08d", math.random(0, 99999999)))
  end
  return wrk.format(nil, nil, nil, body)
end
-- Which statuses were not answers (>= 400), per thread, so the report can say what failed.
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
response = function(status, headers, body)
  if status >= 400 then
    bad = bad or {{}}
    bad[status] = (bad[status] or 0) + 1
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local statuses = {{}}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("bad") or {{}}) do
      statuses[status] = (statuses[status] or 0) + count
    end
  end
  local parts = {{}}
  for status, count in pairs(statuses) do
    table.insert(parts, string.format("\\"%d\\": %d", status, count))
  end
  io.write(string.format("RESULT {{\\"requests\\": %d, \\"duration_us\\": %d, \\"bad_status\\": %d, \\"socket_errors\\": %d, \\"timeouts\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, \\"statuses\\": {{%s}}}}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    e.timeout, latency:percentile(50), latency:percentile(99), table.concat(parts, ", ")))
end
"""


@dataclass
class Load:
    url: str
    body: dict[str, str]
    headers: dict[str, str]
    random_phone: bool = False


def _lua(load: Load) -> str:
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in load.headers.items())
    return LUA.format(
        headers=headers,
        body=urllib.parse.urlencode(load.body),
        phone="true" if load.random_phone else "false",
    )


def wrk(load: Load, clients: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(load))
    try:
        args = ["wrk", f"-t{THREADS}", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "30s"]
        out = subprocess.run(  # noqa: S603 (wrk against 127.0.0.1)
            [*args, "-s", script.name, load.url], capture_output=True, text=True, check=True
        ).stdout
    finally:
        Path(script.name).unlink()
    result = json.loads(re.search(r"^RESULT (.*)$", out, re.M).group(1))
    return {
        "per_second": result["requests"] / (result["duration_us"] / 1e6),
        "p50": result["p50_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "errors": result["bad_status"] + result["socket_errors"],
        "error_kinds": _error_kinds(result),
        "requests": result["requests"],
    }


def _error_kinds(result: dict) -> str:
    """What the errors were ("503×12, timeout×4"): a count alone hides whether a run measured
    the service or its refusals."""
    kinds = [f"{status}×{count}" for status, count in sorted(result["statuses"].items())]
    sockets = result["socket_errors"] - result["timeouts"]
    kinds += [f"timeout×{result['timeouts']}"] * bool(result["timeouts"])
    kinds += [f"socket×{sockets}"] * bool(sockets)
    return ", ".join(kinds) or "0"


def submission_load(base: str, token: str) -> Load:
    """The wage-arrears form as a phone posts it: the CSRF cookie and token from the form."""
    entry = f"{base}/c/{token}/"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(entry, timeout=30) as response:
        page = response.read().decode()
    csrf = common.CSRF_INPUT.search(page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    body = {**common.FORM, "csrfmiddlewaretoken": csrf}
    return Load(entry, body, {"Cookie": cookie, "Referer": entry}, random_phone=True)


def measure_load(load: Load, clients: int, seconds: float) -> dict:
    wrk(load, clients, 2)  # warm-up: connections, pools, caches
    return wrk(load, clients, seconds)


# --- the two parts --------------------------------------------------------------------------


def _create_bare_tables(url: str) -> None:
    common.run_sql(
        url,
        "CREATE TABLE IF NOT EXISTS bench_bare_event (id bigserial PRIMARY KEY,"
        " row_id bigint NOT NULL REFERENCES bench_bare_row (id), at timestamptz NOT NULL)",
    )


def measure(quick: bool) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench.servers needs wrk: apt-get install wrk")
    load_before = os.getloadavg()[0]
    url, env = common.prepare_database("ops_bench_servers")
    _create_bare_tables(url)
    token = common.entry_token(url)
    seconds = 4.0 if quick else 10.0
    workers = web_concurrency()
    comparison = []
    for server in SERVERS:
        app = "config.wsgi:application" if server.wsgi else "config.asgi:application"
        count = server.processes or workers
        common.log(f"{server.name}, {count} process(es)")
        with serving(server, env, count, app) as (base, memory):
            bare = Load(f"{base}/bench/bare/", dict(common.FORM), {})
            row = {"server": server.name, "websockets": server.websockets, "workers": count}
            row["bare"] = measure_load(bare, 16, seconds)
            row["submission"] = measure_load(submission_load(base, token), 16, seconds)
            row["rss_mib"] = memory.peak
        comparison.append(row)

    common.log(f"submission vs a bare Django app, Procfile's server, {workers} workers")
    lean = {"workers": workers, "rows": []}
    with serving(PROCFILE_SERVER, env, workers, "config.asgi:application") as (base, memory):
        load = submission_load(base, token)
        for clients in SUBMISSION_CLIENTS:
            lean["rows"].append(("submission", clients, measure_load(load, clients, seconds)))
        lean["submission_rss"] = memory.peak
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.bare_app.settings"}
    with serving(PROCFILE_SERVER, bare_env, workers, "bench.bare_app.asgi:application") as (
        base,
        memory,
    ):
        load = Load(f"{base}/", {"description": common.FORM["description"]}, {})
        for clients in SUBMISSION_CLIENTS:
            lean["rows"].append(("bare Django app", clients, measure_load(load, clients, seconds)))
        lean["bare_rss"] = memory.peak
    return {
        "comparison": comparison,
        "lean": lean,
        "seconds": seconds,
        "workers": workers,
        "load": (load_before, os.getloadavg()[0]),
    }


def report(data: dict) -> str:
    workers = data["workers"]
    lines = [
        f"### Which server: the same project, {workers} worker processes (daphne: one), 16 clients",
        "",
        "| server | websockets | processes | /bench/bare/ per s | p99 ms | submissions per s | p50 ms | p99 ms | errors | peak RSS MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in data["comparison"]:
        bare, sub = row["bare"], row["submission"]
        lines.append(
            f"| {row['server']} | {'yes' if row['websockets'] else 'no'} | {row['workers']}"
            f" | {bare['per_second']:.0f} | {bare['p99']:.1f} | {sub['per_second']:.0f}"
            f" | {sub['p50']:.1f} | {sub['p99']:.1f} | bare {bare['error_kinds']}; submission {sub['error_kinds']}"
            f" | {row['rss_mib']:.0f} |"
        )
    daphne = data["comparison"][0]["submission"]["per_second"]
    lines.append("")
    for row in data["comparison"][1:]:
        lines.append(
            f"- {row['server']}: submissions **{row['submission']['per_second'] / daphne:.2f}×**"
            " daphne's rate."
        )
    lean = data["lean"]
    lines += [
        "",
        f"### How lean: Procfile's server, {lean['workers']} workers ({WORKERS_PER_CORE} per core),"
        " the submission next to a bare Django app (no middleware, two INSERTs in one transaction)",
        "",
        "| endpoint | clients | requests | per second | p50 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, clients, result in lean["rows"]:
        lines.append(
            f"| {name} | {clients} | {result['requests']} | {result['per_second']:.0f}"
            f" | {result['p50']:.1f} | {result['p99']:.1f} | {result['error_kinds']} |"
        )
    lines.append("")
    for clients in SUBMISSION_CLIENTS:
        sub = next(r for n, c, r in lean["rows"] if n == "submission" and c == clients)
        bare = next(r for n, c, r in lean["rows"] if n != "submission" and c == clients)
        lines.append(
            f"- {clients} clients: the submission runs at **{sub['per_second'] / bare['per_second']:.2f}×**"
            f" the bare app's throughput (target ≥ 0.40×); p99 {sub['p99']:.0f} ms (target < 50 ms)."
        )
    lines.append(
        f"- peak RSS of the web processes: project {lean['submission_rss']:.0f} MiB,"
        f" bare app {lean['bare_rss']:.0f} MiB ({lean['workers']} workers + the gunicorn master)."
    )
    lines.append(
        f"- wrk -t{THREADS}, {data['seconds']:.0f} s per measurement after a 2 s warm-up, on the"
        " same cores as the servers and PostgreSQL; load average (1 min) before and after:"
        f" {data['load'][0]:.1f}, {data['load'][1]:.1f} on {os.cpu_count()} CPUs — far above"
        " the CPU count, the numbers measure the neighbours as much as the servers."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(report(measure(parser.parse_args().quick)))
