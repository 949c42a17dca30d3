"""A small routing world on top of the demo tenant, shared by the test_routing_* modules
(this module holds no tests of its own)."""

from dataclasses import dataclass, field

import pytest
from django_scopes import scope, scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.intake.models import Scenario
from services.routing import api as routing
from services.routing.models import DeadlinePolicy, RoutingRule

from .conftest import run_worker
from .helpers import case_model, wage_arrears_form

PASSWORD = "routing-test-pass"


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


@pytest.fixture
def world(demo) -> World:
    """The demo tenant without its deadline policies: each test states the ones it uses."""
    with scopes_disabled():
        from services.directory.models import Department, Region

        DeadlinePolicy.objects.filter(tenant=demo).delete()
        departments = {d.code: d for d in Department.objects.filter(tenant=demo)}
        regions = {r.name: r for r in Region.objects.filter(tenant=demo)}
    return World(tenant=demo, departments=departments, regions=regions)
