"""Cost growth: submission latency and a department's inbox query with 10k, 100k and 1M cases
already stored (generated with SQL from a real submitted case), in one run on one database.

    .venv/bin/python -m bench.growth [--quick]      # --quick: 10k and 100k
"""

import argparse
import time

from . import common

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
CLIENTS = 16
OPEN = ("assigned", "in_progress")

# The inbox a department's staff open first: its open cases, newest first, one page, and the
# count for the pager (what the admin's case list asks for, with the department filter).
INBOX_PAGE = (
    "SELECT id, tracking_number, state, created_at FROM intake_case"
    " WHERE tenant_id = %s AND department_id = %s AND state = ANY(%s)"
    " ORDER BY created_at DESC LIMIT 100"
)
INBOX_COUNT = "SELECT count(*) FROM intake_case WHERE tenant_id = %s AND department_id = %s AND state = ANY(%s)"


def generate(
    url: str,
    template_id: int,
    departments: list[int],
    first: int,
    last: int,
    columns_sql: dict[str, str] | None = None,
) -> None:
    """Copies the template case into ids first..last: every column as the real case has it,
    but its own tracking number, access key, phone, department, state and a creation time
    spread over two years (85 % closed, 5 % each resolved / in progress / assigned).
    `columns_sql` gives other columns their own SQL over g (e.g. varied descriptions); the
    columns the database computes itself (the search bigrams) are left to it."""
    columns = [
        row[0]
        for row in common.run_sql(
            url,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'intake_case' AND column_name <> 'id' AND is_generated = 'NEVER'"
            " ORDER BY ordinal_position",
        )
    ]
    generated = {
        "tracking_number": "'G' || lpad(g::text, 9, '0')",
        "access_key": "'g' || g::text",
        "reporter_phone": "'139' || lpad((g * 7919 %% 100000000)::text, 8, '0')",
        "department_id": f"(ARRAY{departments}::bigint[])[1 + g %% {len(departments)}]",
        "state": (
            "CASE WHEN r < 0.85 THEN 'closed' WHEN r < 0.90 THEN 'resolved'"
            " WHEN r < 0.95 THEN 'in_progress' ELSE 'assigned' END"
        ),
        "created_at": "now() - r2 * interval '730 days'",
        "updated_at": "now() - r2 * interval '700 days'",
        **(columns_sql or {}),
    }
    select = ", ".join(generated.get(c, f"t.{c}") for c in columns)
    common.run_sql(
        url,
        f"INSERT INTO intake_case ({', '.join(columns)})"  # noqa: S608 (names from the catalog)
        f" SELECT {select} FROM intake_case t,"
        " LATERAL (SELECT g, random() AS r, random() AS r2 FROM generate_series(%s::bigint, %s::bigint) g) s"
        " WHERE t.id = %s",
        (first, last, template_id),
    )
    # As autovacuum leaves a table that grew gradually: statistics and visibility map current.
    common.run_sql(url, "VACUUM (ANALYZE) intake_case")


def demo_county(url: str, token: str) -> tuple[int, list[int]]:
    """The tenant of the entry point `token` and its departments' ids."""
    (tenant_id,) = common.run_sql(
        url, "SELECT tenant_id FROM intake_entrypoint WHERE token = %s", (token,)
    )[0]
    departments = [
        r[0]
        for r in common.run_sql(
            url,
            "SELECT id FROM directory_department WHERE tenant_id = %s ORDER BY id",
            (tenant_id,),
        )
    ]
    return tenant_id, departments


def timed_sql(url: str, sql: str, params: tuple, repeat: int) -> list[float]:
    import psycopg

    times = []
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        for _ in range(repeat):
            started = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append(time.perf_counter() - started)
    return times


def scrape_times(base: str, repeat: int) -> list[float]:
    """GET /metrics with the system state read on every scrape (METRICS_STATE_TTL=0)."""
    import urllib.request

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/metrics", timeout=60) as response:  # noqa: S310
            response.read()
        times.append(time.perf_counter() - started)
    return times


def measure(quick: bool) -> dict:
    sizes = QUICK_SIZES if quick else SIZES
    url, env = common.prepare_database("ops_bench_growth")
    env["METRICS_STATE_TTL"] = "0"  # every scrape reads the counts, to time what it costs
    token = common.entry_token(url)
    tenant_id, departments = demo_county(url, token)
    inbox = (tenant_id, departments[0], list(OPEN))
    requests = 120 if quick else 300
    rows = []
    with common.server(env) as base:
        entry = f"{base}/c/{token}/"

        def submit(n: int, warmup: int = 0) -> common.LoadResult:
            return common.submissions(entry, concurrency=CLIENTS, requests=n, warmup=warmup)

        submit(1)
        template_id = common.run_sql(url, "SELECT max(id) FROM intake_case")[0][0]
        next_g = 1
        for size in sizes:
            existing = common.run_sql(url, "SELECT count(*) FROM intake_case")[0][0]
            common.log(f"growing to {size:,} cases")
            started = time.perf_counter()
            generate(url, template_id, departments, next_g, next_g + size - existing - 1)
            next_g += size - existing
            generated_in = time.perf_counter() - started
            common.log(f"{size:,} cases: {requests} submissions, inbox query")
            result = submit(requests, warmup=3 * CLIENTS)
            page = timed_sql(url, INBOX_PAGE, inbox, 30)
            count = timed_sql(url, INBOX_COUNT, inbox, 30)
            open_in_inbox = common.run_sql(url, INBOX_COUNT, inbox)[0][0]
            scrape = scrape_times(base, 5)
            rows.append(
                {
                    "size": size,
                    "generated_in": generated_in,
                    "per_second": result.throughput,
                    "submit": common.summary_ms(result.latencies),
                    "errors": result.errors,
                    "page": common.summary_ms(page),
                    "count": common.summary_ms(count),
                    "inbox_rows": open_in_inbox,
                    "scrape": common.percentile(scrape, 50) * 1000,
                }
            )
    return {"rows": rows, "requests": requests}


def report(data: dict) -> str:
    rows = data["rows"]
    lines = [
        "| cases stored | submissions/s | submit p50 ms | p95 | p99 | inbox page p50 ms | p95"
        " | inbox count p50 ms | open cases in that inbox | /metrics p50 ms | errors |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']:,} | {r['per_second']:.0f} | {r['submit']['p50']:.1f} | {r['submit']['p95']:.1f}"
            f" | {r['submit']['p99']:.1f} | {r['page']['p50']:.2f} | {r['page']['p95']:.2f}"
            f" | {r['count']['p50']:.2f} | {r['inbox_rows']:,} | {r['scrape']:.0f}"
            f" | {r['errors'] or 'none'} |"
        )
    first, last = rows[0], rows[-1]
    lines += [
        "",
        f"- from {first['size']:,} to {last['size']:,} cases ({last['size'] / first['size']:.0f}× the data):"
        f" submission p50 ×{last['submit']['p50'] / first['submit']['p50']:.2f},"
        f" inbox page p50 ×{last['page']['p50'] / first['page']['p50']:.2f},"
        f" inbox count p50 ×{last['count']['p50'] / first['count']['p50']:.2f},"
        f" a /metrics scrape reading every count ×{last['scrape'] / first['scrape']:.2f}"
        " (in production it reads them at most every METRICS_STATE_TTL = 15 s per pod)",
        f"- {data['requests']} submissions from {CLIENTS} clients per size after {3 * CLIENTS} unmeasured;"
        " inbox queries 30× each,"
        " timed from a client on the same machine; generating the cases took "
        + ", ".join(f"{r['generated_in']:.0f} s" for r in rows)
        + " (cases only: no timeline rows or task rows were generated)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(report(measure(parser.parse_args().quick)))
