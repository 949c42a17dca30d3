"""Starting real processes (workers, the ASGI server, manage.py) against the test database."""

import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from ops.server import procfile_command
from tests.helpers import ROOT


def env_for_test_database(**overrides: str) -> dict[str, str]:
    """The environment of this run, pointed at the test database pytest-django created."""
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_web_server(port: int, env: dict[str, str], **popen) -> subprocess.Popen:
    """The web server as Procfile, the image and k8s/ start it, on 127.0.0.1:`port`, with this
    run's interpreter."""
    command = [part.replace("$PORT", str(port)) for part in procfile_command("web")]
    assert command[0] == "python", command
    # Two worker processes unless a test asks otherwise: several, yet quick to boot.
    env = {"WEB_CONCURRENCY": "2", **env, "PORT": str(port), "WEB_HOST": "127.0.0.1"}
    return subprocess.Popen([sys.executable, *command[1:]], cwd=ROOT, env=env, **popen)


def wait_until_serving(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    """Until a worker answers /healthz: the server listens before its workers have booted."""

    def answering() -> bool:
        if server.poll() is not None:
            return True  # exited: the caller reports why
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    wait_for(answering, timeout, "the web server to answer")


def redis_url() -> str:
    """The Redis of this run (REDIS_URL), else a local one; skipped without one (not in CI)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required here ({url})")
        pytest.skip(f"no Redis at {url}")
    return url


def start_procfile_process(name: str, *, env: dict[str, str], port: int) -> subprocess.Popen:
    """Starts the Procfile's `name` as honcho would (a shell, $PORT set, the venv's tools on
    PATH), in a process group of its own so stop() ends a multi-process server whole."""
    env = {
        **env,
        "PORT": str(port),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    return subprocess.Popen(
        ["/bin/sh", "-c", f"exec {shlex.join(procfile_command(name))}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (to its whole group when it leads one), SIGKILL if not gone after 20 s."""

    def send(sig: int) -> None:
        try:
            if os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()
