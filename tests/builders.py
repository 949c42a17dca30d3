"""Test data, built the way the product builds it (through the services' api modules):
tenants and their staff (`build_county`: two townships, two departments, one login per
role; `World`: the demo tenant's routing), entry points' form data, photos, scenario fields,
cases in a given state (`submit`, `resolve`, `resolved_case`, `County.routed`), permissions.
Fixtures wrapping them live in tests/conftest.py."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from PIL import Image

from services.directory import api as directory
from services.intake import api as intake
from services.intake.models import Case, Scenario
from services.routing import api as routing
from services.routing.models import (
    RoutingRule,
)
from tests.helpers import PASSWORD, case, case_model, run_worker


def entry_token(tenant_id: int, scenario_name: str) -> str:
    return next(t for t, label in intake.entry_point_tokens(tenant_id) if scenario_name in label)


def wage_arrears_form(**overrides) -> dict:
    """The form as a citizen fills it in; `overrides` change or add fields."""
    return {
        "description": "工地老板拖欠我们三个月工资，多次讨要未果。",
        "reporter_phone": "138 1234 5678",
        "reporter_name": "王师傅",
        "employer_name": "某某建筑公司",
        "work_site": "新河镇塘下工业区",
        "amount_owed": "36000",
        "months_owed": "3",
        "workers_affected": "4",
    } | overrides


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
    """The form as a citizen fills it in; `overrides` change or add fields."""
    return {
        "description": "校门口早高峰车辆乱停，学生过马路危险。",
        "school": "某某中心小学",
        "issue_type": "周边交通",
    } | overrides


def medical_form(**overrides) -> dict:
    """The form as a citizen fills it in; `overrides` change or add fields."""
    return {
        "description": "某诊所冒用他人医保卡刷卡。",
        "reporter_phone": "13912345678",
        "institution": "某某诊所",
        "abuse_type": "冒名就医",
    } | overrides


def jpeg_with_gps(size=(1200, 900), colour=(200, 40, 40)) -> bytes:
    """A real JPEG carrying EXIF: GPS position, camera make and a comment."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone Inc."  # Make
    exif[0x0110] = "Model X"  # Model
    gps = {
        1: "N",
        2: (Decimal(28), Decimal(22), Decimal(30)),
        3: "E",
        4: (Decimal(121), Decimal(23), Decimal(10)),
    }
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret comment")
    return buffer.getvalue()


def png_bytes(size=(64, 48), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 128) if mode == "RGBA" else 0).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def add_field(tenant, scenario_code: str, **declaration):
    """Declares an extra field on a tenant's scenario, as an administrator would."""
    from services.intake.models import Scenario, ScenarioField

    with scope(tenant=tenant.pk):
        scenario = Scenario.objects.get(code=scenario_code)
        field = ScenarioField(scenario=scenario, **declaration)
        field.full_clean()
        field.save()
    return field


def other_tenant():
    """A second county with its own scenarios, one code, a desk officer and a dispatcher."""
    with scopes_disabled():
        tenant = directory.create_tenant("玉环市（测试）", "yuhuan-test", hotline="0576-87654")
        township = directory.create_region(tenant, "楚门镇", directory.RegionLevel.TOWNSHIP)
        scenarios = intake.install_builtin_scenarios(tenant)
        ep = intake.create_entry_point(tenant, scenarios["campus"], "楚门镇 一小 校门口", township)
        directory.create_staff(tenant, "yh_desk", PASSWORD, directory.Role.RECEPTION)
        directory.create_staff(tenant, "yh_dispatcher", PASSWORD, directory.Role.DISPATCHER)
    tenant.entry_token = ep.token
    tenant.township_id = township.pk
    return tenant


@dataclass
class World:
    tenant: object
    departments: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)

    def scenario(self, code: str) -> Scenario:
        with scopes_disabled():
            return Scenario.objects.get(tenant=self.tenant, code=code)

    def submit(
        self, region: str | None = "新河镇", channel: str = "qr", priority: int = 0, **overrides
    ) -> int:
        """A wage-arrears case from a QR code posted in `region`; returns the case id.

        `priority` is set on the stored case before routing (as a desk officer's urgent flag)."""
        with scopes_disabled():
            ep = intake.create_entry_point(
                self.tenant,
                self.scenario("wage_arrears"),
                f"测试入口 {region}",
                self.regions[region] if region else None,
            )
        case_id = intake.submit_via_entry_point(
            ep.token, wage_arrears_form(**overrides), channel=channel
        ).id
        if priority:
            with scopes_disabled():
                case_model().objects.filter(pk=case_id).update(priority=priority)
        return case_id

    def route(self, **overrides) -> "object":
        case_id = self.submit(**overrides)
        run_worker("routing", "deadlines")
        return self.case(case_id)

    def case(self, case_id: int):
        with scopes_disabled():
            return case_model().objects.get(pk=case_id)

    def replace_rules(self, *specs: dict) -> list[RoutingRule]:
        """Drops the demo's rules and adds these, in order (order 10, 20, …)."""
        with scope(tenant=self.tenant.pk):
            RoutingRule.objects.all().delete()
            rules = []
            for n, spec in enumerate(specs, start=1):
                spec = dict(spec)
                name = spec.pop("name", f"规则{n}")
                department = self.departments[spec.pop("department")]
                co = [self.departments[c] for c in spec.pop("co", ())]
                region = spec.pop("region", None)
                rules.append(
                    routing.create_rule(
                        self.tenant,
                        name,
                        department,
                        scenario_codes=spec.pop("scenario_codes", ["wage_arrears"]),
                        order=n * 10,
                        region=self.regions[region] if region else None,
                        co_departments=co,
                        **spec,
                    )
                )
            return rules

    def staff(self, username: str, role: str, departments: tuple[str, ...] = (), **kw):
        directory.create_staff(
            self.tenant,
            username,
            PASSWORD,
            role,
            departments=[self.departments[d] for d in departments],
            full_name=username,
            **kw,
        )
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username=username)


def submit(tenant, phone: str = "138 1234 5678") -> intake.CaseSnapshot:
    return intake.submit_via_entry_point(
        entry_token(tenant.pk, "欠薪"), wage_arrears_form(reporter_phone=phone)
    )


def resolve(case, user_named, result: str = "已督促企业结清全部工资。") -> None:
    """The labour bureau takes the case and resolves it (办结)."""
    labour = user_named("labour")
    snapshot = intake.get_case(case.id)
    if snapshot.state in ("submitted", "needs_dispatch"):
        [department] = directory.staff_info(labour).department_ids
        intake.assign(case.id, department, "测试分拨")
        snapshot = intake.get_case(case.id)
    if snapshot.state == "assigned":
        intake.take_transition(case.id, "sign_for", labour)
    intake.take_transition(case.id, "resolve", labour, note=result, result=result)


def resolved_case(tenant, user_named, drain, phone: str = "138 1234 5678"):
    """A case resolved and surveyed: the survey SMS has gone out."""
    case = submit(tenant, phone)
    resolve(case, user_named)
    drain("notify")
    return case


def grant(user, *codenames: str) -> None:
    """Model permissions as the tenant administrator's role grants them (explicit here, so
    the test does not depend on how roles map to permissions)."""
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def rule_form(world, **overrides) -> dict:
    data = {
        "name": "群体性欠薪",
        "order": "5",
        "active": "on",
        "scenarios_text": "wage_arrears",
        "region": "",
        "priority": "",
        "keywords_text": "",
        "conditions_text": "workers_affected >= 10",
        "department": str(world.departments["labour"].pk),
        "co_departments": [str(world.departments["xinhe_social"].pk)],
        "set_priority": "1",
        "deadline_policy": "",
    }
    data.update(overrides)
    return data


def submit_by_phone_form(client, tenant) -> Case:
    """The wage-arrears form posted as a phone does; the one case it stored."""
    token = entry_token(tenant.pk, "欠薪")
    page = client.get(f"/c/{token}/")
    assert page.status_code == 200
    assert "欠薪单位/老板" in page.content.decode()
    response = client.post(f"/c/{token}/", wage_arrears_form())
    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        case = Case.objects.get()
    assert response["Location"] == f"/r/{case.access_key}/"
    return case


def press_transition(client, case: Case, name: str, note: str = "") -> None:
    """Presses a transition button on the case page, as the page it was shown on would."""
    version = refreshed_case(case).updated_at.isoformat()
    url = reverse("admin:intake_case_transition", args=[case.pk, name])
    assert client.post(url, {"note": note, "version": version}).status_code == 302


def sign_for_and_resolve(client, user_named, case: Case, result: str) -> None:
    client.force_login(user_named("labour"))
    press_transition(client, case, "sign_for")
    press_transition(client, case, "resolve", result)
    client.logout()


def refreshed_case(case: Case) -> Case:
    with scopes_disabled():
        return Case.objects.get(pk=case.pk)
