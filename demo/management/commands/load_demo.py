"""Loads a Wenling-like demo tenant once, then prints the URLs a newcomer needs."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from services import public_urls
from services.directory import api as directory
from services.governance import api as governance
from services.intake import api as intake
from services.routing import api as routing

from ...map_demo import load_map_demo

DEMO_SLUG = "wenling-demo"
DEMO_PASSWORD = "gongzhi-demo"  # noqa: S105  (a local demo login, printed on purpose)

TOWNSHIPS = ["城东街道", "新河镇", "箬横镇", "石塘镇"]
POPULATIONS = [152000, 98000, 87000, 41000]  # 常住人口, for cases per 10,000 residents
# The monthly checks staff enter for the governance index (人工填报), per township in TOWNSHIPS
# order: last month, then this month — so the report shows a ranking and its change.
DEMO_ENTRIES = {
    "joint_meetings": ([3, 3, 2, 2], [4, 2, 3, 1]),
    "rules_check": ([88, 84, 80, 75], [92, 78, 85, 70]),
    "grid_staffing": ([96, 94, 93, 90], [98, 91, 95, 88]),
    "disputes_settled": ([94, 88, 85, 91], [96, 82, 90, 93]),
}
DEPARTMENTS = [
    # code, name, scenario it leads on
    ("labour", "市人力社保局", "wage_arrears"),
    ("medical", "市医疗保障局", "medical_insurance"),
    ("civil_defence", "市人防办", "civil_defence"),
    ("education", "市教育局", "campus"),
]
PLACES = {
    "wage_arrears": ("新河镇", "新河镇 塘下工业区 公告栏"),
    "medical_insurance": ("城东街道", "城东街道 社区卫生服务中心 大厅"),
    "civil_defence": ("箬横镇", "箬横镇 人防工程 3 号入口"),
    "campus": ("新河镇", "新河镇 中心小学 校门口"),
}

# login → who it is; created by `load` and printed by `print_urls`, so the list never drifts.
DEMO_LOGINS = {
    "admin": "平台管理员",
    "dispatcher": "指挥室值班员",
    **{code: f"{name}经办人" for code, name, _scenario in DEPARTMENTS},
    "xinhe_desk": "新河镇受理窗口",
}


class Command(BaseCommand):
    help = "Loads the demo tenant (温岭市演示平台) if absent and prints its URLs."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--sample-cases",
            action="store_true",
            help="Also takes in a few located sample cases per township, so the map has points "
            "(`make run` does; the tests' demo starts without cases).",
        )

    def handle(self, *args, **options) -> None:
        with scopes_disabled():
            tenant = directory.tenant_by_slug(DEMO_SLUG)
            if tenant is None:
                tenant = self.load(sample_cases=options["sample_cases"])
                self.stdout.write(self.style.SUCCESS("已载入演示平台：温岭市（演示）"))
            self.print_urls(tenant)

    @transaction.atomic
    def load(self, sample_cases: bool = False):
        tenant = directory.create_tenant(
            "温岭市（演示）", DEMO_SLUG, hotline="0576-12345", sms_number="+8610690012345"
        )
        townships = {
            name: directory.create_region(tenant, name, directory.RegionLevel.TOWNSHIP)
            for name in TOWNSHIPS
        }
        for name, population in zip(TOWNSHIPS, POPULATIONS, strict=True):
            directory.set_population(tenant.pk, townships[name].pk, population)
        village = directory.create_region(
            tenant, "长屿村", directory.RegionLevel.VILLAGE, townships["新河镇"]
        )
        directory.create_region(tenant, "长屿村第一网格", directory.RegionLevel.GRID, village)
        departments = {
            code: directory.create_department(tenant, name, code)
            for code, name, _scenario in DEPARTMENTS
        }
        xinhe_social = directory.create_department(
            tenant, "新河镇社会事务办", "xinhe_social", townships["新河镇"]
        )
        scenarios = intake.install_builtin_scenarios(tenant)
        # Reports against an institution put the reporter at risk: 医保 is 举报类 (保密).
        intake.mark_confidential(scenarios["medical_insurance"])
        for code, (township, place) in PLACES.items():
            intake.create_entry_point(tenant, scenarios[code], place, townships[township])
        for order, (code, name, scenario_code) in enumerate(DEPARTMENTS, start=1):
            routing.create_rule(
                tenant,
                f"{scenarios[scenario_code].name} → {name}",
                departments[code],
                scenario_codes=[scenario_code],
                order=order * 10,
            )
        self.load_routing(tenant, departments["labour"], xinhe_social)
        self.load_governance(tenant, townships)
        role = directory.Role
        directory.create_staff(
            tenant, "admin", DEMO_PASSWORD, role.TENANT_ADMIN, full_name=DEMO_LOGINS["admin"]
        )
        directory.create_staff(
            tenant,
            "dispatcher",
            DEMO_PASSWORD,
            role.DISPATCHER,
            full_name=DEMO_LOGINS["dispatcher"],
        )
        for code, _name, _scenario in DEPARTMENTS:
            directory.create_staff(
                tenant,
                code,
                DEMO_PASSWORD,
                role.DEPARTMENT,
                departments=[departments[code]],
                full_name=DEMO_LOGINS[code],
            )
        desk = directory.create_staff(
            tenant,
            "xinhe_desk",
            DEMO_PASSWORD,
            role.RECEPTION,
            full_name=DEMO_LOGINS["xinhe_desk"],
            region=townships["新河镇"],
        )
        # Synthetic township outlines, and (for `make run`) located cases: the map has points.
        load_map_demo(tenant, desk.user if sample_cases else None)
        return tenant

    def load_routing(self, tenant, labour, xinhe_social) -> None:
        """Deadlines on the official calendar, and a group wage-arrears rule ahead of the others."""
        hours, days = routing.TimeUnit.HOURS, routing.TimeUnit.DAYS
        routing.create_deadline_policy(
            tenant, "一般时限", sign_for=(4, hours), resolve=(5, days), is_default=True
        )
        group = routing.create_deadline_policy(
            tenant, "群体性欠薪时限", sign_for=(1, hours), resolve=(2, days)
        )
        routing.create_rule(
            tenant,
            "群体性欠薪（10 人及以上）→ 市人力社保局，新河镇社会事务办协同",
            labour,
            scenario_codes=["wage_arrears"],
            order=5,
            field_conditions=[{"field": "workers_affected", "op": ">=", "value": "10"}],
            co_departments=[xinhe_social],
            set_priority=1,
            deadline_policy=group,
        )
        # The State Council's holidays and make-up days, as chinesecalendar publishes them.
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            try:
                routing.import_official_year(tenant, year)
            except routing.YearNotPublished:
                self.stderr.write(f"chinesecalendar has no {year} yet: that year has no holidays.")

    def load_governance(self, tenant, townships) -> None:
        """The default indicator set (three dimensions, README) and two months of entries."""
        governance.load_indicator_set(tenant.pk, governance.default_indicator_set())
        today = timezone.localdate()
        last = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        for (year, month), position in ((last, 0), ((today.year, today.month), 1)):
            for code, months in DEMO_ENTRIES.items():
                for name, value in zip(TOWNSHIPS, months[position], strict=True):
                    governance.enter_value(tenant.pk, code, townships[name].pk, year, month, value)

    def print_urls(self, tenant) -> None:
        base = settings.PUBLIC_BASE_URL
        self.stdout.write("\n市民扫码入口（手机打开）：")
        for token, label in intake.entry_point_tokens(tenant.id):
            form, image = public_urls.entry_form(token), public_urls.entry_qr_image(token)
            self.stdout.write(f"  {label}\n    {form}   二维码：{image}")
        self.stdout.write(f"\n进度查询（受理编号 + 手机后四位）：{public_urls.status_lookup()}")
        self.stdout.write(f"\n管理后台（部门收件箱）：{base}/admin/")
        self.stdout.write(f"指挥室大屏：{base}/dashboard/   （dispatcher 登录）")
        self.stdout.write(f"月度考核（治理指数）：{base}/dashboard/report/")
        self.stdout.write(f"镇街受理窗口：{base}/desk/   （xinhe_desk 登录）")
        self.stdout.write(f"外勤在岗（就近派遣）：{base}/duty/   （labour 等部门账号登录）")
        self.stdout.write(f"接口文档：{base}/api/docs/")
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for login, who in DEMO_LOGINS.items():
            self.stdout.write(f"  {login:<14}{who}")
        if settings.SMS_BACKEND == "console":
            self.stdout.write(
                "\n短信打印在本窗口的日志里。扮演市民手机回复满意度回访（1 非常满意 … 5 非常不满意）：\n"
                "  .venv/bin/python manage.py sms_reply <提交时填写的手机号> 1\n"
            )
