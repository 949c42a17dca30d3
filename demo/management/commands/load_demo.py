"""Loads a Wenling-like demo tenant once, then prints the URLs a newcomer needs."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing

DEMO_SLUG = "wenling-demo"
DEMO_PASSWORD = "gongzhi-demo"  # noqa: S105  (a local demo login, printed on purpose)

TOWNSHIPS = ["城东街道", "新河镇", "箬横镇", "石塘镇"]
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


class Command(BaseCommand):
    help = "Loads the demo tenant (温岭市演示平台) if absent and prints its URLs."

    def handle(self, *args, **options) -> None:
        with scopes_disabled():
            tenant = directory.tenant_by_slug(DEMO_SLUG)
            if tenant is None:
                tenant = self.load()
                self.stdout.write(self.style.SUCCESS("已载入演示平台：温岭市（演示）"))
            self.print_urls(tenant)

    @transaction.atomic
    def load(self):
        tenant = directory.create_tenant(
            "温岭市（演示）", DEMO_SLUG, hotline="0576-12345", sms_number="+8610690012345"
        )
        townships = {
            name: directory.create_region(tenant, name, directory.RegionLevel.TOWNSHIP)
            for name in TOWNSHIPS
        }
        village = directory.create_region(
            tenant, "长屿村", directory.RegionLevel.VILLAGE, townships["新河镇"]
        )
        directory.create_region(tenant, "长屿村第一网格", directory.RegionLevel.GRID, village)
        departments = {
            code: directory.create_department(tenant, name, code)
            for code, name, _scenario in DEPARTMENTS
        }
        directory.create_department(tenant, "新河镇社会事务办", "xinhe_social", townships["新河镇"])
        scenarios = intake.install_builtin_scenarios(tenant)
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
        role = directory.Role
        directory.create_staff(
            tenant, "admin", DEMO_PASSWORD, role.TENANT_ADMIN, full_name="平台管理员"
        )
        directory.create_staff(
            tenant, "dispatcher", DEMO_PASSWORD, role.DISPATCHER, full_name="指挥室值班员"
        )
        for code, name, _scenario in DEPARTMENTS:
            directory.create_staff(
                tenant,
                code,
                DEMO_PASSWORD,
                role.DEPARTMENT,
                departments=[departments[code]],
                full_name=f"{name}经办人",
            )
        directory.create_staff(
            tenant,
            "xinhe_desk",
            DEMO_PASSWORD,
            role.RECEPTION,
            full_name="新河镇受理窗口",
            region=townships["新河镇"],
        )
        return tenant

    def print_urls(self, tenant) -> None:
        base = settings.PUBLIC_BASE_URL
        self.stdout.write("\n市民扫码入口（手机打开）：")
        for token, label in intake.entry_point_tokens(tenant.pk):
            self.stdout.write(f"  {label}\n    {base}/c/{token}/   二维码：{base}/c/{token}/qr.svg")
        self.stdout.write(f"\n管理后台：{base}/admin/")
        self.stdout.write(
            f"  演示账号（密码均为 {DEMO_PASSWORD}）：admin 平台管理员 · dispatcher 指挥室 · "
            "labour 人社局经办人 · xinhe_desk 新河镇受理窗口\n"
        )
