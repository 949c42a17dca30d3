"""Routing time per case with 10 and with 500 rules for one tenant, measured in one run.

    .venv/bin/python bench/routing.py              # throwaway SQLite file
    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/routing.py   # a scratch database

For each rule count it builds a tenant whose matching rule is the last one (every other rule
fails on a different condition: region subtree, keyword, field comparison, channel, scenario),
submits the same cases, and times `route_case` as the routing worker runs it: reading the case,
matching, the assignment transition with its timeline row and event, and the decision (the
deadline starts later, on the deadlines queue, from case.assigned). It also times the rule matching alone. It prints per-case figures and the 500/10
ratios; no absolute number is a pass mark.
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


RULE_COUNTS = (10, 500)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL"):
        handle, path = tempfile.mkstemp(prefix="routing-bench-", suffix=".sqlite3")
        os.close(handle)
        os.environ["SQLITE_PATH"] = path
    import django

    django.setup()
    logging.disable(logging.INFO)  # routing logs every decision at INFO
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_tenant(rule_count: int, case_count: int) -> tuple[int, list[int]]:
    """A tenant with `rule_count` rules, the last the only match; returns its case ids."""
    from django_scopes import scope, scopes_disabled

    from services.directory import api as directory
    from services.intake import api as intake
    from services.routing import api as routing

    suffix = f"{rule_count}-{time.time_ns()}"
    with scopes_disabled():
        tenant = directory.create_tenant(f"基准平台{rule_count}", f"bench-{suffix}")
    with scope(tenant=tenant.pk):
        townships = [
            directory.create_region(tenant, f"镇{i}", directory.RegionLevel.TOWNSHIP)
            for i in range(10)
        ]
        village = directory.create_region(tenant, "村", directory.RegionLevel.VILLAGE, townships[0])
        departments = [directory.create_department(tenant, f"部门{i}", f"d{i}") for i in range(20)]
        scenarios = intake.install_builtin_scenarios(tenant)
        routing.create_deadline_policy(
            tenant, "默认", sign_for=(4, "hours"), resolve=(5, "days"), is_default=True
        )

        def decoy(n: int) -> dict:
            """Rule n fails on one condition, a different kind in turn."""
            return [
                {"region": townships[1 + n % 9]},
                {"keywords": [f"不会出现的词{n}", "燃气泄漏"]},
                {"field_conditions": [{"field": "workers_affected", "op": ">=", "value": "1000"}]},
                {"channels": ["desk"]},
                {"scenario_codes": ["campus"]},
            ][n % 5]

        for n in range(rule_count - 1):
            options = {"scenario_codes": ["wage_arrears"], **decoy(n)}
            routing.create_rule(tenant, f"干扰规则{n}", departments[n % 20], order=n, **options)
        routing.create_rule(
            tenant,
            "命中规则",
            departments[0],
            order=rule_count,
            scenario_codes=["wage_arrears"],
            region=townships[0],
            co_departments=[departments[1]],
        )
        entry = intake.create_entry_point(tenant, scenarios["wage_arrears"], "基准入口", village)
    form = {
        "description": "工地老板拖欠我们三个月工资，多次讨要未果。",
        "reporter_phone": "13812345678",
        "employer_name": "某某建筑公司",
        "amount_owed": "36000",
        "months_owed": "3",
        "workers_affected": "4",
    }
    case_ids = [intake.submit_via_entry_point(entry.token, form).id for _ in range(case_count)]
    return tenant.pk, case_ids


def route_timed(tenant_id: int, case_id: int) -> tuple[float, float]:
    """(wall, CPU) seconds of routing one case: the CPU part is the worker's own work, the
    rest waits for PostgreSQL (and, on a loaded machine, for a core)."""
    from django_scopes import scope

    from services.routing.dispatch import route_case

    with scope(tenant=tenant_id):
        start, cpu = time.perf_counter(), time.process_time()
        decision = route_case(case_id)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert decision is not None and decision.rule.name == "命中规则", decision
    return elapsed, cpu


def matching_time(tenant_id: int, case_ids: list[int], rule_count: int) -> float:
    """Seconds to match one case against the cached compiled rules, nothing else."""
    from django_scopes import scope

    from services.intake import api as intake
    from services.routing.config import tenant_routing
    from services.routing.rules import first_match

    with scope(tenant=tenant_id):
        rules = tenant_routing(tenant_id).rules
        assert len(rules) == rule_count
        cases = [intake.get_case(c) for c in case_ids[:50]]
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for case in cases:
            assert first_match(rules, case).name == "命中规则"
    return (time.perf_counter() - start) / (rounds * len(cases))


def measure(case_count: int) -> dict[int, dict[str, float]]:
    """Both tenants' cases routed alternately, so drift in the database hits both alike."""
    tenants = {n: build_tenant(n, case_count) for n in RULE_COUNTS}
    timings: dict[int, list[float]] = {n: [] for n in RULE_COUNTS}
    cpu: dict[int, list[float]] = {n: [] for n in RULE_COUNTS}
    for i in range(case_count):
        for n, (tenant_id, case_ids) in tenants.items():
            wall, own = route_timed(tenant_id, case_ids[i])
            timings[n].append(wall)
            cpu[n].append(own)
    results = {}
    for n, (tenant_id, case_ids) in tenants.items():
        first, steady = timings[n][0], timings[n][1:]
        results[n] = {
            "cpu_median_ms": statistics.median(cpu[n][1:]) * 1000,
            "cpu_p99_ms": statistics.quantiles(cpu[n][1:], n=100)[-1] * 1000,
            "first_ms": first * 1000,  # includes compiling the rules into the cache
            "median_ms": statistics.median(steady) * 1000,
            "mean_ms": statistics.fmean(steady) * 1000,
            "p90_ms": statistics.quantiles(steady, n=10)[-1] * 1000,
            "p99_ms": statistics.quantiles(steady, n=100)[-1] * 1000,
            "match_us": matching_time(tenant_id, case_ids, n) * 1e6,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="cases routed per rule count")
    parser.add_argument("--quick", action="store_true", help="50 cases per rule count (CI)")
    args = parser.parse_args()
    if args.quick:
        args.cases = 50
    setup_django()
    from django.db import connection

    measure(20)  # warm-up: imports, the database's caches; not reported
    results = measure(args.cases)
    small, large = results[RULE_COUNTS[0]], results[RULE_COUNTS[1]]
    print(f"Routing one case ({connection.vendor}, {args.cases} cases per rule count)")
    print(f"{'':>26}{'10 rules':>12}{'500 rules':>12}{'500/10':>9}")
    labels = {
        "first_ms": "first case, cold cache ms",
        "median_ms": "median ms",
        "mean_ms": "mean ms",
        "p90_ms": "p90 ms",
        "p99_ms": "p99 ms",
        "cpu_median_ms": "CPU median ms",
        "cpu_p99_ms": "CPU p99 ms",
        "match_us": "rule matching alone µs",
    }
    for key, label in labels.items():
        ratio = large[key] / small[key]
        print(f"{label:>26}{small[key]:>12.2f}{large[key]:>12.2f}{ratio:>8.2f}x")


if __name__ == "__main__":
    main()
