"""Two counties with every staff role, for the admin, scoping and dashboard tests
(test_admin_*, test_scoping_*, test_dashboard_*). Holds no tests of its own.

Each county has two townships, two departments (labour leads wage arrears and medical
co-handles it; medical leads medical insurance), a deadline policy, and one login per role:
<slug>-admin, <slug>-dispatcher, <slug>-labour, <slug>-labour-head, <slug>-medical, <slug>-desk.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.test import Client
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing

from .conftest import run_worker
from .helpers import case_model, wage_arrears_form

PASSWORD = "staff-test-password"
ROLES = ("admin", "dispatcher", "labour", "labour-head", "medical", "desk")


@dataclass
class County:
    tenant: object
    towns: dict = field(default_factory=dict)
    departments: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug

    def username(self, role: str) -> str:
        return f"{self.slug}-{role}"

    def user(self, role: str):
        return get_user_model().objects.get(username=self.username(role))

    def client(self, role: str) -> Client:
        client = Client()
        client.force_login(self.user(role))
        return client

    def submit(self, scenario: str = "wage_arrears", **overrides) -> int:
        """A citizen's case through the county's QR code (not routed yet); its id."""
        data = wage_arrears_form(**overrides) if scenario == "wage_arrears" else overrides
        return intake.submit_via_entry_point(self.tokens[scenario], data).id

    def routed(self, scenario: str = "wage_arrears", **overrides):
        """A submitted case after the routing worker, and the deadlines worker it feeds."""
        case_id = self.submit(scenario, **overrides)
        run_worker("routing")
        run_worker("deadlines")
        return case(case_id)


def case(case_id: int):
    with scopes_disabled():
        return case_model().objects.select_related("scenario").get(pk=case_id)


def build_county(slug: str, name: str, sms_number: str) -> County:
    with scopes_disabled():
        tenant = directory.create_tenant(name, slug, hotline="12345", sms_number=sms_number)
        county = County(tenant=tenant)
        for town in ("东镇", "西镇"):
            county.towns[town] = directory.create_region(
                tenant, f"{name}{town}", directory.RegionLevel.TOWNSHIP
            )
        for code, dept_name in (("labour", "人力社保局"), ("medical", "医疗保障局")):
            county.departments[code] = directory.create_department(
                tenant, f"{name}{dept_name}", code
            )
        scenarios = intake.install_builtin_scenarios(tenant)
        # Campus cases match no rule: they wait for the command room (待派单).
        for code, town in (
            ("wage_arrears", "东镇"),
            ("medical_insurance", "西镇"),
            ("campus", "西镇"),
        ):
            ep = intake.create_entry_point(
                tenant, scenarios[code], f"{name}{town}公告栏", county.towns[town]
            )
            county.tokens[code] = ep.token
        policy = routing.create_deadline_policy(
            tenant,
            "默认时限",
            sign_for=(2, routing.TimeUnit.HOURS),
            resolve=(5, routing.TimeUnit.DAYS),
            is_default=True,
        )
        routing.create_rule(
            tenant,
            "欠薪 → 人社（医保协办）",
            county.departments["labour"],
            scenario_codes=["wage_arrears"],
            co_departments=[county.departments["medical"]],
            deadline_policy=policy,
            order=10,
        )
        routing.create_rule(
            tenant,
            "医保 → 医保局",
            county.departments["medical"],
            scenario_codes=["medical_insurance"],
            order=20,
        )
        role = directory.Role
        make = directory.create_staff
        make(tenant, county.username("admin"), PASSWORD, role.TENANT_ADMIN, full_name="管理员")
        make(tenant, county.username("dispatcher"), PASSWORD, role.DISPATCHER, full_name="调度员")
        labour, medical = county.departments["labour"], county.departments["medical"]
        make(tenant, county.username("labour"), PASSWORD, role.DEPARTMENT, departments=[labour])
        make(
            tenant,
            county.username("labour-head"),
            PASSWORD,
            role.DEPARTMENT,
            departments=[labour],
            is_department_head=True,
        )
        make(tenant, county.username("medical"), PASSWORD, role.DEPARTMENT, departments=[medical])
        make(
            tenant,
            county.username("desk"),
            PASSWORD,
            role.RECEPTION,
            region=county.towns["东镇"],
        )
    return county


def campus_form(**overrides) -> dict:
    data = {
        "description": "校门口早高峰车辆乱停，学生过马路危险。",
        "school": "某某中心小学",
        "issue_type": "周边交通",
    }
    data.update(overrides)
    return data


def medical_form(**overrides) -> dict:
    data = {
        "description": "某诊所冒用他人医保卡刷卡。",
        "reporter_phone": "13912345678",
        "institution": "某某诊所",
        "abuse_type": "冒名就医",
    }
    data.update(overrides)
    return data
