"""The cache client side by side: Django's own RedisCache, which makes a new redis-py client
(and copies its ~170 response callbacks) for every operation, against django-redis, which
keeps one. The submission reads the cache several times a request (entry point, rate limits),
so the client's own cost is paid on the request path.

Each in its own interpreter (`python -m bench.cache BACKEND`), the same Redis, 5,000 GETs of a
small pickled value, then 5,000 SETs: wall and CPU time per operation.
"""

import json
import subprocess
import sys
import time

from . import common

BACKENDS = {
    "Django's RedisCache (before)": "django.core.cache.backends.redis.RedisCache",
    "django-redis (settings)": "django_redis.cache.RedisCache",
}
OPERATIONS = 5000


def _one(backend: str, url: str, operations: int) -> dict:
    import django
    from django.conf import settings

    settings.configure(CACHES={"default": {"BACKEND": backend, "LOCATION": url}})
    django.setup()
    from django.core.cache import cache

    value = {"tenant": 1, "generation": 3, "fields": list(range(20))}
    cache.set("bench:cache", value, 60)
    result = {}
    for name, call in (
        ("get", lambda: cache.get("bench:cache")),
        ("set", lambda: cache.set("bench:cache", value, 60)),
    ):
        for _ in range(200):  # warm-up: connections, imports
            call()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(operations):
            call()
        result[name] = {
            "wall_us": (time.perf_counter() - wall) / operations * 1e6,
            "cpu_us": (time.process_time() - cpu) / operations * 1e6,
        }
    return result


def measure(quick: bool) -> dict:
    url = common.redis_url()
    if not url:
        raise SystemExit("bench.cache needs Redis on localhost")
    operations = OPERATIONS // 5 if quick else OPERATIONS
    rows = {}
    for label, backend in BACKENDS.items():
        out = subprocess.run(  # noqa: S603 (this interpreter, our own module)
            [common.PYTHON, "-m", "bench.cache", backend, url, str(operations)],
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows[label] = json.loads(out.strip().splitlines()[-1])
    return {"rows": rows, "operations": operations}


def report(data: dict) -> str:
    lines = [
        "| client | GET µs (wall) | GET µs (CPU) | SET µs (wall) | SET µs (CPU) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, row in data["rows"].items():
        lines.append(
            f"| {label} | {row['get']['wall_us']:.0f} | {row['get']['cpu_us']:.0f}"
            f" | {row['set']['wall_us']:.0f} | {row['set']['cpu_us']:.0f} |"
        )
    before, after = data["rows"].values()
    lines += [
        "",
        f"- {data['operations']} operations each; per GET, django-redis costs"
        f" **{after['get']['cpu_us'] / before['get']['cpu_us']:.2f}×** the CPU and"
        f" **{after['get']['wall_us'] / before['get']['wall_us']:.2f}×** the wall time of"
        " Django's own client.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    backend, url, operations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(_one(backend, url, operations)))
