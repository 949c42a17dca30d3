"""Free-text case search (案件检索) at 10,000 and at 1,000,000 cases, on PostgreSQL, in one run.

    .venv/bin/python -m bench.search [--quick] [--write]   # --quick: 10k and 100k cases

Each size is its own database, filled by bench.growth's SQL generator from a real submitted
case, with descriptions drawn from a vocabulary of complaint phrases (some common, some
rare), so two-character terms hit from none to about one case in eight. The small database
is made afresh (BENCH_SEARCH_SMALL_DATABASE, default ops_bench_search); the large one takes
minutes to fill and is kept between runs (BENCH_SEARCH_DATABASE, default
ops_bench_search_kept), migrated and refilled only when its size or the generator changed. A
separate process per database times the admin's case list
searched for each term (GET /admin/intake/case/?q=…, the real view, scoping and templates) as
the demo's dispatcher (the whole county) and as department staff (their department's cases),
and the same two queries the list runs without the index (a plain containment scan), as the
search worked before. With --write it replaces its section of bench/RESULTS.md.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

from . import common, growth

SIZES = (10_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
REPEAT = 40
SCAN_REPEAT = 3
TITLE = "Text search over case descriptions"
USERS = ("dispatcher", "labour")  # the demo's command room and its labour department

# Three phrases per description, the first of the list the most often (index ~ 40·r²).
PHRASES = [
    "多次讨要未果",
    "希望尽快处理",
    "已经反映过多次",
    "老板拖欠三个月工资",
    "家里老人需要照顾",
    "路灯晚上不亮",
    "道路坑洼积水",
    "垃圾无人清运",
    "小区电梯经常故障",
    "楼道堆放杂物",
    "下水道堵塞返臭",
    "占道经营影响通行",
    "共享单车乱停放",
    "违章搭建影响采光",
    "井盖破损有安全隐患",
    "夜里水泵噪音太大",
    "餐饮油烟扰民",
    "宠物狗不拴绳",
    "广场舞音响声音大",
    "停车位被长期占用",
    "自来水水压不足",
    "燃气管道有异味",
    "医保卡被他人冒用",
    "诊所虚开药品费用",
    "人防工程门体锈蚀",
    "地下车库通风不畅",
    "校门口车辆乱停",
    "学生上下学不安全",
    "食堂卫生条件差",
    "河道漂浮垃圾",
    "工地夜间施工噪音扰民",
    "渣土车沿路撒漏",
    "树木倒伏压住电线",
    "公交站台破损",
    "快递驿站占用消防通道",
    "物业收费不透明",
    "充电桩不能使用",
    "公厕无人打扫",
    "农田被倾倒建筑垃圾",
    "山塘水库护栏缺失",
]
RARE = "地下室渗水严重"  # in one case in a thousand
TERMS = [
    ("工资", "2 characters, common"),
    ("噪音", "2 characters, common"),
    ("水泵噪音", "4 characters"),
    ("渗水", "2 characters, rare"),
    ("火箭", "2 characters, no case"),
]


def _phrase() -> str:
    words = ", ".join(f"'{p}'" for p in PHRASES)
    return f"(ARRAY[{words}])[1 + floor({len(PHRASES)} * power(random(), 2))::int]"


DESCRIPTION = (
    f"{_phrase()} || '，' || {_phrase()} || '，' || {_phrase()}"
    f" || CASE WHEN random() < 0.001 THEN '，{RARE}' ELSE '' END || '。'"
)
# Which generator filled a kept database: a changed vocabulary or rule refills it.
GENERATOR = hashlib.sha256(DESCRIPTION.encode()).hexdigest()[:16]


# --- databases -------------------------------------------------------------------------------


def _kept_is_current(url: str, size: int) -> bool:
    import psycopg

    try:
        marker = common.run_sql(url, "SELECT generator, cases FROM bench_search_marker")
    except psycopg.Error:  # no such database, or never filled
        return False
    if marker != [(GENERATOR, size)]:
        return False
    # Code newer than the data: bring the schema up to date (a no-op when it is).
    common.manage(common.app_env(url), "migrate", "--noinput", "-v0")
    return common.run_sql(url, "SELECT count(*) FROM intake_case")[0][0] == size


def fill(name: str, size: int, keep: bool) -> str:
    """The database `name` with the demo county and `size` cases; its URL."""
    url = common.database_url(name)
    if keep and _kept_is_current(url, size):
        common.log(f"{name}: {size:,} cases kept from an earlier run")
        return url
    started = time.perf_counter()
    url, env = common.prepare_database(name)
    token = common.entry_token(url)
    _tenant, departments = growth.demo_county(url, token)
    with common.server(env) as base:
        common.submissions(f"{base}/c/{token}/", concurrency=1, requests=1)
    template = common.run_sql(url, "SELECT max(id) FROM intake_case")[0][0]
    columns = {"description": DESCRIPTION.replace("%", "%%")}
    growth.generate(url, template, departments, 1, size - 1, columns)
    common.run_sql(url, "CREATE TABLE bench_search_marker (generator text, cases int)")
    common.run_sql(url, "INSERT INTO bench_search_marker VALUES (%s, %s)", (GENERATOR, size))
    common.log(f"{name}: {size:,} cases in {time.perf_counter() - started:.0f} s")
    return url


# --- timing, in a process of its own per database ---------------------------------------------


def probe(repeat: int) -> dict:
    """Times the admin's search on DATABASE_URL (this process runs Django)."""
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from django.test import Client
    from django_scopes import scopes_disabled

    from services.directory import api as directory
    from services.intake.models import Case

    clients = {}
    for username in USERS:
        clients[username] = Client()
        clients[username].force_login(get_user_model().objects.get(username=username))
    with scopes_disabled():
        tenant_id = directory.staff_info(get_user_model().objects.get(username=USERS[0])).tenant_id
        cases = Case.objects.filter(tenant_id=tenant_id)
    results = {}
    for term, _label in TERMS:
        row = {}
        for username, client in clients.items():
            times = []
            for i in range(repeat + 2):  # two unmeasured: plans, templates, caches
                started = time.perf_counter()
                response = client.get("/admin/intake/case/", {"q": term})
                took = time.perf_counter() - started
                assert response.status_code == 200, (term, response.status_code)
                if i >= 2:
                    times.append(took)
            row[username] = {"p50": common.percentile(times, 50) * 1000}
            row[username]["p99"] = common.percentile(times, 99) * 1000
        contains = Q(description__icontains=term) | Q(place_label__icontains=term)
        with scopes_disabled():
            row["hits"] = cases.filter(contains).count()
            scans = []
            for _ in range(SCAN_REPEAT):  # the list's page and capped count, by a full scan
                started = time.perf_counter()
                list(cases.filter(contains).order_by("-created_at")[:50])
                cases.filter(contains).order_by()[:10_001].count()
                scans.append(time.perf_counter() - started)
        row["scan"] = common.percentile(scans, 50) * 1000
        results[term] = row
    return results


def run_probe(url: str, repeat: int) -> dict:
    env = common.app_env(url, DJANGO_SETTINGS_MODULE="config.settings", RATELIMIT_ENABLE="0")
    result = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "bench.search", "--probe", str(repeat)],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the search probe failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(quick: bool) -> dict:
    small, large = QUICK_SIZES if quick else SIZES
    kept = os.environ.get("BENCH_SEARCH_DATABASE", "ops_bench_search_kept")
    urls = {
        small: fill(
            os.environ.get("BENCH_SEARCH_SMALL_DATABASE", "ops_bench_search"), small, keep=False
        ),
        large: fill(kept + ("_quick" if quick else ""), large, keep=True),
    }
    common.log("timing the searches")
    return {"sizes": {size: run_probe(url, REPEAT) for size, url in urls.items()}}


def report(data: dict) -> str:
    (small, at_small), (large, at_large) = sorted(data["sizes"].items())
    lines = [
        f"| term | cases found at {small:,} / {large:,} | reader"
        f" | {small:,}: p50 ms | p99 | {large:,}: p50 ms | p99 | p50 ratio"
        f" | full scan at {small:,} / {large:,} ms |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    worst = 0.0
    slowest = 0.0
    for term, label in TERMS:
        a, b = at_small[term], at_large[term]
        for username in USERS:
            ratio = b[username]["p50"] / a[username]["p50"]
            worst, slowest = max(worst, ratio), max(slowest, b[username]["p99"])
            lines.append(
                f"| {term} ({label}) | {a['hits']:,} / {b['hits']:,} | {username}"
                f" | {a[username]['p50']:.1f} | {a[username]['p99']:.1f}"
                f" | {b[username]['p50']:.1f} | {b[username]['p99']:.1f} | {ratio:.2f}"
                f" | {a['scan']:.0f} / {b['scan']:.0f} |"
            )
    lines += [
        "",
        f"- from {small:,} to {large:,} cases: the admin's case list searched for text answers"
        f" at worst **{worst:.2f}×** the p50 time, and within **{slowest:.0f} ms** (p99) at"
        f" {large:,}; {REPEAT} requests per term and reader after 2 unmeasured, through Django"
        " in the measuring process (view, scoping, templates; no HTTP server)",
        "- reader: `dispatcher` reads the whole county, `labour` its department's cases;"
        " full scan: the same page and capped-count queries without the bigram index,"
        f" as the search ran before (median of {SCAN_REPEAT})",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k cases")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe)))
        return 0
    started = time.perf_counter()
    text = report(measure(args.quick))
    print(text)
    if args.write:
        command = "python -m bench.search" + (" --quick" if args.quick else "")
        common.write_section(TITLE, f"`{command}` · {time.perf_counter() - started:.0f} s", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
