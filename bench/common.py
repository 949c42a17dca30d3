"""What every benchmark here shares: a scratch PostgreSQL database, the real ASGI server and
workers as separate processes on loopback, an HTTP load generator, and percentiles.

Only 127.0.0.1 is ever contacted. Every loop is bounded in requests and in seconds.
"""

import asyncio
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
WORKER_INTERVAL = "0.3"  # as in Procfile and k8s/

FORM = {
    "description": "工地老板拖欠我们三个月工资，多次讨要未果。",
    "reporter_name": "王师傅",
    "employer_name": "某某建筑公司",
    "work_site": "新河镇塘下工业区",
    "amount_owed": "36000",
    "months_owed": "3",
    "workers_affected": "4",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def random_phone() -> str:
    return f"139{random.randrange(10**8):08d}"


# --- databases ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    """A database named `name` on the server of BENCH_DATABASE_URL (default: local PostgreSQL)."""
    parts = urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"refusing to drop a database named {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"The benchmarks need PostgreSQL at {parts.hostname}:{parts.port or 5432} "
            f"(BENCH_DATABASE_URL): {exc}"
        ) from exc


def redis_url() -> str:
    """BENCH_REDIS_URL, or the local Redis when one answers, else "" (local memory cache)."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return url
    except OSError:
        return ""


def app_env(db_url: str, **extra: str) -> dict[str, str]:
    """Production-like settings for the server and workers: JSON logs, no DEBUG."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=db_url,
        REDIS_URL=redis_url(),
        DEBUG="0",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        SMS_BACKEND="memory",
        PUBLIC_BASE_URL="http://127.0.0.1",
        PYTHONPATH=str(ROOT),
        DB_POOL_MAX="8",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (this interpreter, our own scripts)
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_database(name: str) -> tuple[str, dict[str, str]]:
    """A fresh database with the schema, the demo county and the bare table."""
    url = database_url(name)
    recreate_database(url)
    env = app_env(url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo")
    run_sql(
        url,
        "CREATE TABLE bench_bare_row (id bigserial PRIMARY KEY,"
        " created_at timestamptz NOT NULL, body text NOT NULL)",
    )
    return url, env


def run_sql(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _process(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen]:
    """This interpreter running `args` from the repository root; stopped with SIGTERM."""
    process = subprocess.Popen(  # noqa: S603 (this interpreter, our own modules)
        [PYTHON, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        _stop(process)


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    """The web server as Procfile, the image and k8s/ start it, on a free loopback port."""
    from ops.server import procfile_command

    port = free_port()
    command = procfile_command("web")
    assert command[0] == "python", command
    env = {**env, "PORT": str(port), "WEB_HOST": "127.0.0.1"}
    with _process(env, *command[1:]) as process:
        base = f"http://127.0.0.1:{port}"
        wait_answering(f"{base}/healthz", process)
        yield base


def wait_answering(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until `url` answers at all: a multi-process server listens before its workers boot."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (127.0.0.1 only)
                return
        except urllib.error.HTTPError:
            return  # an answer, if not a 200
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url} within {timeout}s")


@contextmanager
def worker(env: dict[str, str], queue: str) -> Iterator[subprocess.Popen]:
    db_worker = ("manage.py", "db_worker", "--queue-name", queue)
    with _process(env, *db_worker, "--interval", WORKER_INTERVAL, "--no-reload") as process:
        yield process


@contextmanager
def procfile_workers(env: dict[str, str]) -> Iterator[dict[str, subprocess.Popen]]:
    """Every process of Procfile but the web server (the workers and the scheduler), as
    `make run` starts them: their count and options are the Procfile's."""
    started: dict[str, subprocess.Popen] = {}
    try:
        for line in (ROOT / "Procfile").read_text().splitlines():
            name, _, command = line.partition(":")
            args = command.split()
            if name.strip() == "web" or not args or args[0] != "python":
                continue
            started[name.strip()] = subprocess.Popen(  # noqa: S603 (this interpreter, our manage.py)
                [PYTHON, *args[1:]],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        yield started
    finally:
        for process in started.values():
            _stop(process)


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (a multi-process server's workers) as they are now;
    a thread or child that ends while it is read is left out, not an error."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return pids


def peak_rss_mib(process: subprocess.Popen) -> float:
    """The process's peak resident memory so far (Linux VmHWM), in MiB; NaN once it exited."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return float("nan")
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return kib / 1024


# --- load -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    locations: list[tuple[str, float]] = field(default_factory=list)  # (Location, wall clock)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def _client(session, entry_url: str) -> str:
    """Opens the form as a phone does (GET), for its CSRF cookie and token."""
    async with session.get(entry_url) as response:
        page = await response.text()
        if response.status != 200:
            raise SystemExit(f"GET {entry_url} answered {response.status}")
    match = CSRF_INPUT.search(page)
    if not match:
        raise SystemExit(f"no CSRF token in the form at {entry_url}")
    return match.group(1)


def run_load(
    url: str,
    *,
    concurrency: int,
    expect: int,
    form: Callable[[], dict[str, str]],
    csrf_from: str | None = None,
    requests: int | None = None,
    seconds: float | None = None,
    warmup: int = 0,
) -> LoadResult:
    """POSTs `form()` to `url` from `concurrency` clients (one keep-alive connection each) until
    `requests` have completed or `seconds` have passed, after `warmup` unmeasured requests."""
    return asyncio.run(
        _run_load(url, concurrency, expect, form, csrf_from, requests, seconds, warmup)
    )


async def _run_load(url, concurrency, expect, form, csrf_from, requests, seconds, warmup):
    import aiohttp

    assert requests or seconds, "bounded in requests or in seconds"
    result = LoadResult()
    budget = {"warmup": warmup, "left": requests if requests else 10**9}
    stop_at = [float("inf")]
    timeout = aiohttp.ClientTimeout(total=60)

    async def one_client() -> None:
        connector = aiohttp.TCPConnector(limit=1)
        # unsafe=True: keep cookies (the CSRF one) from an IP address such as 127.0.0.1.
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=jar
        ) as session:
            token = await _client(session, csrf_from) if csrf_from else ""
            while True:
                measured = budget["warmup"] <= 0
                if measured:
                    if budget["left"] <= 0 or time.perf_counter() >= stop_at[0]:
                        return
                    budget["left"] -= 1
                else:
                    budget["warmup"] -= 1
                data = form()
                headers = {}
                if token:
                    data["csrfmiddlewaretoken"] = token
                    headers["Referer"] = csrf_from
                started = time.perf_counter()
                try:
                    async with session.post(
                        url, data=data, headers=headers, allow_redirects=False
                    ) as response:
                        await response.read()
                        status, location = response.status, response.headers.get("Location", "")
                except (TimeoutError, aiohttp.ClientError) as exc:
                    result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
                    continue
                took = time.perf_counter() - started
                if not measured:
                    continue
                if status == expect:
                    result.latencies.append(took)
                    if location:
                        result.locations.append((location, time.time()))
                else:
                    result.errors[str(status)] = result.errors.get(str(status), 0) + 1

    async def timed() -> None:
        clients = [asyncio.create_task(one_client()) for _ in range(concurrency)]
        # The clock starts once the warm-up requests are spent.
        while budget["warmup"] > 0 and not all(c.done() for c in clients):
            await asyncio.sleep(0.01)
        begun = time.perf_counter()
        if seconds:
            stop_at[0] = begun + seconds
        await asyncio.gather(*clients)
        result.elapsed = time.perf_counter() - begun

    await timed()
    return result


def submissions(entry: str, *, concurrency: int, **bounds) -> LoadResult:
    """Citizens submitting the wage-arrears form at `entry` (each with its own phone number),
    as a phone does: the form first, then the POST answered by a redirect to the receipt."""
    return run_load(
        entry,
        concurrency=concurrency,
        expect=302,
        form=lambda: {**FORM, "reporter_phone": random_phone()},
        csrf_from=entry,
        **bounds,
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {f"p{q}": percentile(values, q) * 1000 for q in (50, 95, 99)}


def write_section(title: str, subtitle: str, text: str) -> None:
    """Replaces (or adds) the section `title` of bench/RESULTS.md, for one benchmark run alone."""
    path = ROOT / "bench" / "RESULTS.md"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    section = f"## {title}\n\n{subtitle}\n\n{text}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    updated = (
        pattern.sub(lambda _match: section, current)
        if pattern.search(current)
        else current.rstrip() + "\n\n" + section
    )
    path.write_text(updated)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPU ({cpu}){mem}; {platform.system()} {platform.release()}; Python {platform.python_version()}"


def entry_token(url: str, scenario_code: str = "wage_arrears") -> str:
    """The demo's entry point for the scenario, read with SQL (no Django in this process)."""
    rows = run_sql(
        url,
        "SELECT ep.token FROM intake_entrypoint ep JOIN intake_scenario s ON s.id = ep.scenario_id"
        " WHERE ep.active AND s.code = %s ORDER BY ep.id LIMIT 1",
        (scenario_code,),
    )
    if not rows:
        raise SystemExit(f"the demo has no active entry point for {scenario_code}")
    return rows[0][0]
