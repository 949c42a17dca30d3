"""Intake throughput and latency through the real web server (Procfile's command), next to the stack's ceiling.

A citizen's submission (POST /c/<token>/: form validation, the case, its timeline row, its
events as task rows, the redirect) against /bench/bare/ (the same server, middleware and
database, one INSERT), at 16 and 64 concurrent clients, in one run on one database.

    .venv/bin/python -m bench.intake [--quick]
"""

import argparse

from . import common

CONCURRENCY = (16, 64)


def measure(quick: bool) -> dict:
    url, env = common.prepare_database("ops_bench_intake")
    token = common.entry_token(url)
    seconds = 4.0 if quick else 12.0
    rows = []
    with common.server(env) as base:
        entry = f"{base}/c/{token}/"
        for concurrency in CONCURRENCY:
            for kind in ("bare insert", "submission"):
                common.log(f"{kind}, {concurrency} clients, {seconds:.0f}s")
                bounds = {"concurrency": concurrency, "seconds": seconds, "warmup": 2 * concurrency}
                if kind == "submission":
                    result = common.submissions(entry, **bounds)
                else:
                    result = common.run_load(
                        f"{base}/bench/bare/", expect=201, form=lambda: dict(common.FORM), **bounds
                    )
                rows.append(
                    {
                        "kind": kind,
                        "concurrency": concurrency,
                        "requests": len(result.latencies),
                        "per_second": result.throughput,
                        **common.summary_ms(result.latencies),
                        "errors": result.errors,
                    }
                )
    stored = common.run_sql(url, "SELECT count(*) FROM intake_case")[0][0]
    return {"rows": rows, "cases_stored": stored, "seconds": seconds}


def report(data: dict) -> str:
    lines = [
        "| clients | endpoint | requests | per second | p50 ms | p95 ms | p99 ms | errors |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in data["rows"]:
        errors = ", ".join(f"{k}×{v}" for k, v in row["errors"].items()) or "none"
        lines.append(
            f"| {row['concurrency']} | {row['kind']} | {row['requests']} | {row['per_second']:.0f}"
            f" | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} | {errors} |"
        )
    lines.append("")
    for concurrency in CONCURRENCY:
        bare, sub = (r for r in data["rows"] if r["concurrency"] == concurrency)
        lines.append(
            f"- {concurrency} clients: a submission runs at **{sub['per_second'] / bare['per_second']:.2f}×**"
            f" the bare insert's rate; its p50 latency is {sub['p50'] / bare['p50']:.1f}× the bare one's."
        )
    lines.append(
        f"- {data['seconds']:.0f} s per measurement after a warm-up; {data['cases_stored']} cases stored"
        " in all (warm-ups included)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(report(measure(parser.parse_args().quick)))
