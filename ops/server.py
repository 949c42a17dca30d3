"""The web server: gunicorn managing uvicorn worker processes, one ASGI application each.

Every process serves pages, the admin, the API and the dashboard's websocket (Channels); sync
views run on each process's own thread, so throughput grows with processes, not with threads.
`config/gunicorn.py` is the configuration; the command (Procfile's `web:` line, the image's
CMD, k8s/) is the same everywhere. Chosen by `python -m bench.servers` (see bench/RESULTS.md).
"""

import logging
import math
import os
from pathlib import Path

from uvicorn_worker import UvicornWorker

# Processes per core: a process's one view thread idles while PostgreSQL answers, so a second
# process per core keeps the core busy (bench/RESULTS.md, "Web server").
WORKERS_PER_CORE = 2


PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def procfile_command(name: str) -> list[str]:
    """A process's command line from Procfile, the one source of every process's command
    (the image's CMD and k8s/ repeat it; tests/ops/test_deploy.py checks they agree)."""
    for line in PROCFILE.read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:
            return command.split()
    raise LookupError(f"Procfile has no {name}: line")


def cpu_cores() -> int:
    """The cores this server may use: the container's CPU limit when k8s passes it (CPU_LIMIT,
    from resources.limits.cpu through the downward API, rounded up to whole cores), else the
    cores this process may run on."""
    limit = os.environ.get("CPU_LIMIT", "").strip()
    if limit:
        return max(1, math.ceil(float(limit)))
    return len(os.sched_getaffinity(0))


def web_concurrency() -> int:
    """Worker processes: WEB_CONCURRENCY when set, else WORKERS_PER_CORE per core."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        workers = int(configured)
        if workers < 1:
            raise ValueError(f"WEB_CONCURRENCY must be at least 1, not {configured!r}")
        return workers
    return WORKERS_PER_CORE * cpu_cores()


class Worker(UvicornWorker):
    """A uvicorn worker whose only log is the application's.

    No access log of its own: the application logs each request (ops.middleware), with the
    route instead of the path, since a path can hold a survey token or a status key. No proxy
    header handling: config/edge.py decides whether X-Forwarded-For is trusted. No lifespan:
    neither Django nor Channels speaks it.
    """

    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "access_log": False,
        "proxy_headers": False,
        "lifespan": "off",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn's errors (an exception outside Django, a bad request line) go through the
        # application's handler (masked, JSON in k8s), not around it.
        for name in ("uvicorn.error", "uvicorn.access"):
            server_logger = logging.getLogger(name)
            server_logger.handlers = []
            server_logger.propagate = name == "uvicorn.error"
