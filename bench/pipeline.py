"""Scan-to-assignment: from a submission's response to its case being assigned by the routing
worker, over a burst of submissions, and proof that none of them was lost.

The web server (Procfile's) and every worker and the scheduler that `make run` starts (Procfile: one
process per queue, woken on commit by PostgreSQL NOTIFY) run as their own processes on one fresh
database; 16 clients submit the burst as fast as the server answers. Also reported: that every
case was assigned exactly once (one `route` timeline row each), and the workers' peak RSS.

    .venv/bin/python -m bench.pipeline [--quick]
"""

import argparse
import time
import urllib.request

from . import common

CLIENTS = 16
WAIT_SECONDS = 300


def measure(quick: bool) -> dict:
    burst = 200 if quick else 1000
    url, env = common.prepare_database("ops_bench_pipeline")
    token = common.entry_token(url)
    with common.server(env) as base, common.procfile_workers(env) as workers:
        entry = f"{base}/c/{token}/"
        # As under `make run`, citizens arrive once everything is up: each worker has signed in
        # (its first heartbeat), and the server has answered once.
        expected = sum(name != "scheduler" for name in workers)
        up_by = time.monotonic() + 120
        while time.monotonic() < up_by:
            if (
                common.run_sql(url, "SELECT count(*) FROM eventbus_workerheartbeat")[0][0]
                >= expected
            ):
                break
            time.sleep(0.5)
        urllib.request.urlopen(entry, timeout=60).read()  # noqa: S310 (loopback http)
        common.log(f"burst of {burst} submissions from {CLIENTS} clients, workers: {list(workers)}")
        started = time.time()
        result = common.submissions(entry, concurrency=CLIENTS, requests=burst)
        answered = {loc.rstrip("/").rsplit("/", 1)[-1]: at for loc, at in result.locations}
        keys = list(answered)
        deadline = time.monotonic() + WAIT_SECONDS
        assigned = 0
        while time.monotonic() < deadline:
            assigned = common.run_sql(
                url,
                "SELECT count(*) FROM intake_case WHERE access_key = ANY(%s) AND state = 'assigned'",
                (keys,),
            )[0][0]
            if assigned == len(keys):
                break
            time.sleep(0.5)
        drained_after = time.time() - started
        peak_rss = {name: common.peak_rss_mib(p) for name, p in workers.items()}
    stored = common.run_sql(
        url, "SELECT count(*) FROM intake_case WHERE access_key = ANY(%s)", (keys,)
    )[0][0]
    assigned_at = dict(
        common.run_sql(
            url,
            "SELECT c.access_key, min(e.at) FROM intake_case c"
            " JOIN intake_caseevent e ON e.case_id = c.id"
            " WHERE e.to_state = 'assigned' AND c.access_key = ANY(%s) GROUP BY c.access_key",
            (keys,),
        )
    )
    routed_twice = common.run_sql(
        url,
        "SELECT count(*) FROM (SELECT e.case_id FROM intake_caseevent e"
        " JOIN intake_case c ON c.id = e.case_id WHERE e.action = 'route'"
        " AND c.access_key = ANY(%s) GROUP BY e.case_id HAVING count(*) > 1) twice",
        (keys,),
    )[0][0]
    failed_tasks = common.run_sql(
        url, "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'"
    )[0][0]
    delays = [assigned_at[k].timestamp() - answered[k] for k in keys if k in assigned_at]
    return {
        "burst": burst,
        "answered": len(result.latencies),
        "errors": result.errors,
        "distinct_cases": len(keys),
        "stored": stored,
        "assigned": assigned,
        "failed_tasks": failed_tasks,
        "submit_seconds": result.elapsed,
        "drained_after": drained_after,
        "delays": delays,
        "lost": burst - assigned + routed_twice,
        "routed_twice": routed_twice,
        "peak_rss": peak_rss,
    }


def report(data: dict) -> str:
    delays = data["delays"]
    pct = {q: common.percentile(delays, q) for q in (50, 99)}
    verdict = (
        "**none lost, each assigned exactly once**"
        if data["lost"] == 0 and data["failed_tasks"] == 0
        else f"**{data['lost']} lost, unassigned or assigned twice ({data['routed_twice']} twice),"
        f" {data['failed_tasks']} failed tasks**"
    )
    rss = data["peak_rss"]
    return "\n".join(
        [
            f"- burst: {data['burst']} submissions from {CLIENTS} clients in {data['submit_seconds']:.1f} s"
            f" ({data['answered'] / data['submit_seconds']:.0f}/s); answered 302: {data['answered']};"
            f" errors: {data['errors'] or 'none'}",
            f"- stored: {data['stored']} distinct cases, assigned: {data['assigned']}; {verdict};"
            f" every case assigned {data['drained_after']:.1f} s after the burst began",
            f"- response → assigned: p50 **{pct[50]:.2f} s**, p99 **{pct[99]:.2f} s**,"
            f" max {max(delays, default=float('nan')):.2f} s (Procfile's workers: one per queue)",
            f"- rates in this run: submissions {data['answered'] / data['submit_seconds']:.0f}/s,"
            f" routing {data['assigned'] / data['drained_after']:.0f} cases/s end to end"
            f" (ratio {data['assigned'] / data['drained_after'] / (data['answered'] / data['submit_seconds']):.2f})",
            "- peak RSS (MiB): "
            + ", ".join(f"{name} {mib:.0f}" for name, mib in rss.items())
            + f"; largest {max(rss.values(), default=float('nan')):.0f}",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    data = measure(parser.parse_args().quick)
    print(report(data))
    raise SystemExit(1 if data["lost"] else 0)
