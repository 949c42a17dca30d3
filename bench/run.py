"""Runs every benchmark in bench/ and writes bench/RESULTS.md (machine, date, command).

    make bench            # or: .venv/bin/python -m bench.run
    make bench QUICK=1    # CI-sized: shorter measurements, 200-case burst, up to 100k cases;
                          # written to bench/out/RESULTS-quick.md instead

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432; it creates
and drops its own ops_bench_* databases) and uses the local Redis when one answers. The other
engineers' bench/*.py scripts present (routing.py, admin.py) run too, each on its own scratch
database, and their output is copied in.
"""

import argparse
import datetime
import os
import subprocess
import sys
import time

from . import cache, common, growth, intake, pipeline, search, servers

RESULTS = common.ROOT / "bench" / "RESULTS.md"
QUICK_RESULTS = common.ROOT / "bench" / "out" / "RESULTS-quick.md"  # never replaces the real ones
OURS = [
    ("Web server: which one, and the submission against a bare Django app", servers),
    ("Intake throughput and latency (real ASGI server, PostgreSQL)", intake),
    ("Scan-to-assignment, with the workers of Procfile running", pipeline),
    ("Cost growth with stored cases", growth),
    (search.TITLE, search),
    ("Cache client: Django's RedisCache against django-redis", cache),
]
THEIRS = {"routing.py": "Routing time per case", "admin.py": "Staff admin pages"}


def run_theirs(script: str, quick: bool) -> tuple[str, int, float]:
    """Another engineer's script, on its own fresh scratch database."""
    name = f"ops_bench_{script.removesuffix('.py')}"
    url = common.database_url(name)
    common.recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": common.redis_url()}
    args = [sys.executable, str(common.ROOT / "bench" / script)]
    if quick and "--quick" in (common.ROOT / "bench" / script).read_text():
        args.append("--quick")
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 (this interpreter, our own scripts)
        args, cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = result.stdout.strip() or "(no output)"
    if result.returncode != 0:
        output += f"\n\nexit status {result.returncode}:\n{result.stderr.strip()[-3000:]}"
    return output, result.returncode, time.perf_counter() - started


def _section(title: str, module, quick: bool, dated: bool = False) -> tuple[str, bool]:
    common.log(f"== {title}")
    started = time.perf_counter()
    data = module.measure(quick)
    body = module.report(data)
    print(body, flush=True)
    when = f" · {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}" if dated else ""
    section = (
        f"## {title}\n\n`python -m {module.__name__}{' --quick' if quick else ''}`"
        f" · {time.perf_counter() - started:.0f} s{when}\n\n{body}\n"
    )
    return section, bool(data.get("lost"))


def run_one(name: str, quick: bool) -> int:
    """One benchmark; its section of RESULTS.md replaced (or added first), the others kept."""
    title, module = next((t, m) for t, m in OURS if m.__name__ == f"bench.{name}")
    section, lost = _section(title, module, quick, dated=True)
    target = QUICK_RESULTS if quick else RESULTS
    text = target.read_text() if target.exists() else "# Benchmark results\n\n"
    parts = text.split("\n## ")
    kept = [p for p in parts[1:] if not p.startswith(title)]
    target.parent.mkdir(exist_ok=True)
    target.write_text(
        "\n## ".join([parts[0].rstrip("\n") + "\n", section.removeprefix("## "), *kept])
    )
    common.log(f"wrote the {title!r} section of {target.relative_to(common.ROOT)}")
    return 1 if lost else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized runs")
    parser.add_argument(
        "--only",
        choices=[module.__name__.removeprefix("bench.") for _, module in OURS],
        help="run one benchmark and replace only its section of bench/RESULTS.md",
    )
    args = parser.parse_args()
    quick = args.quick
    command = "make bench QUICK=1" if quick else "make bench"
    if args.only:
        return run_one(args.only, quick)
    sections, failures = [], 0
    for title, module in OURS:
        section, lost = _section(title, module, quick)
        failures += lost
        sections.append(section)
    for script, title in THEIRS.items():
        if not (common.ROOT / "bench" / script).exists():
            continue
        common.log(f"== {title} (bench/{script})")
        output, status, took = run_theirs(script, quick)
        failures += status != 0
        print(output, flush=True)
        sections.append(
            f"## {title}\n\n`python bench/{script}` · {took:.0f} s\n\n```\n{output}\n```\n"
        )

    header = [
        "# Benchmark results",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {common.machine()}",
        f"- command: `{command}`",
        f"- database: PostgreSQL ({common.run_sql(common.database_url('postgres'), 'SHOW server_version')[0][0]})"
        f" on this machine; Redis: {'yes' if common.redis_url() else 'no (local memory cache)'};"
        " server: Procfile's (gunicorn with uvicorn workers) unless a section says otherwise;"
        " load generators: wrk (web server) and aiohttp (the others), on the same cores",
        "",
        "Client, server, workers and database share the machine's cores, and other work may run"
        " beside them: read the ratios measured within one run, not the absolute numbers.",
        "",
    ]
    target = QUICK_RESULTS if quick else RESULTS
    target.parent.mkdir(exist_ok=True)
    target.write_text("\n".join(header + sections))
    common.log(f"wrote {target.relative_to(common.ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
