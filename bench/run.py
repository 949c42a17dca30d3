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

from . import common, growth, intake, pipeline, search

RESULTS = common.ROOT / "bench" / "RESULTS.md"
QUICK_RESULTS = common.ROOT / "bench" / "out" / "RESULTS-quick.md"  # never replaces the real ones
OURS = [
    ("Intake throughput and latency (real ASGI server, PostgreSQL)", intake),
    ("Scan-to-assignment, with the routing worker running", pipeline),
    ("Cost growth with stored cases", growth),
    (search.TITLE, search),
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized runs")
    quick = parser.parse_args().quick
    command = "make bench QUICK=1" if quick else "make bench"
    sections, failures = [], 0
    for title, module in OURS:
        common.log(f"== {title}")
        started = time.perf_counter()
        data = module.measure(quick)
        body = module.report(data)
        if data.get("lost"):
            failures += 1
        print(body, flush=True)
        sections.append(
            f"## {title}\n\n`python -m {module.__name__}{' --quick' if quick else ''}`"
            f" · {time.perf_counter() - started:.0f} s\n\n{body}\n"
        )
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
        " server: one daphne process; load generator: aiohttp, in its own process, on the same cores",
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
