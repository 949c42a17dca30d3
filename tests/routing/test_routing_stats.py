"""Monthly routing statistics per department and township, and their API endpoint."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django_scopes import scope

from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing
from tests.helpers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

CST = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=CST)


def act(clock, when, case_id, name, user, note="") -> None:
    clock.move_to(when)
    changes = {"result": note} if name == "resolve" else {}
    intake.take_transition(case_id, name, user, note, **changes)
    run_worker("routing", "deadlines")


@pytest.fixture
def march(world):
    """Four cases: on time, late, returned then rerouted, and one assigned in April."""
    with scope(tenant=world.tenant.pk):
        routing.create_deadline_policy(
            world.tenant,
            "一般时限",
            sign_for=(4, routing.TimeUnit.HOURS),
            resolve=(2, routing.TimeUnit.DAYS),
            is_default=True,
        )
    world.replace_rules({"department": "labour"}, {"department": "xinhe_social"})
    clerk = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    with time_machine.travel(at(3, 2, 9), tick=False) as clock:
        on_time = world.route(region="新河镇").pk
        late = world.route(region="城东街道").pk
        returned = world.route(region="长屿村").pk
        act(clock, at(3, 2, 10), on_time, "sign_for", clerk)
        act(clock, at(3, 2, 11), returned, "return_case", clerk, "不属于本部门。")
        act(clock, at(3, 2, 14), late, "sign_for", clerk)
        act(clock, at(3, 3, 9), on_time, "resolve", clerk, "已结清。")
        act(clock, at(3, 5, 9), late, "resolve", clerk, "已结清。")
        clock.move_to(at(4, 1, 9))
        world.route(region="新河镇")
    return world


def test_monthly_figures_per_department_and_township(march):
    world = march
    stats = routing.monthly_stats(world.tenant.pk, 2026, 3)
    labour, xinhe = world.departments["labour"], world.departments["xinhe_social"]
    assert stats["departments"] == [
        {
            "department_id": labour.pk,
            "department_name": "市人力社保局",
            "received": 3,
            "signed_on_time": 1,
            "resolved": 2,
            "resolved_on_time": 1,
            "returned": 1,
            "avg_handling_hours": 48.0,
            "p90_handling_hours": 72.0,
        },
        {
            "department_id": xinhe.pk,
            "department_name": "新河镇社会事务办",
            "received": 1,
            "signed_on_time": 0,
            "resolved": 0,
            "resolved_on_time": 0,
            "returned": 0,
            "avg_handling_hours": None,
            "p90_handling_hours": None,
        },
    ]
    by_region = {r["region_name"]: r for r in stats["regions"]}
    assert set(by_region) == {"新河镇", "城东街道"}, "villages count under their township"
    assert (by_region["新河镇"]["received"], by_region["新河镇"]["returned"]) == (3, 1)
    assert (
        by_region["城东街道"]["resolved_on_time"],
        by_region["城东街道"]["avg_handling_hours"],
    ) == (
        0,
        72.0,
    )
    april = routing.monthly_stats(world.tenant.pk, 2026, 4)
    assert [d["received"] for d in april["departments"]] == [1]


def test_the_stats_endpoint_is_the_command_rooms_and_tenant_scoped(march):
    world = march
    dispatcher = world.staff("duty", directory.Role.DISPATCHER)
    clerk_client, dispatcher_client = Client(), Client()
    dispatcher_client.force_login(dispatcher)
    response = dispatcher_client.get("/api/routing/stats/", {"year": 2026, "month": 3})
    assert response.status_code == 200
    assert response.json() == routing.monthly_stats(world.tenant.pk, 2026, 3)

    other = directory.create_tenant("另一县", "other-county")
    outsider = directory.create_staff(other, "other_duty", "pw-other-1", directory.Role.DISPATCHER)
    outsider_client = Client()
    outsider_client.force_login(outsider.user)
    foreign = outsider_client.get("/api/routing/stats/", {"year": 2026, "month": 3}).json()
    assert (foreign["departments"], foreign["regions"]) == ([], []), "never another tenant's"

    clerk_client.force_login(world.staff("clerk", directory.Role.DEPARTMENT, ("labour",)))
    refused = clerk_client.get("/api/routing/stats/")
    assert refused.status_code == 403
    assert "只有指挥室调度员和平台管理员" in refused.json()["detail"]
    assert Client().get("/api/routing/stats/").status_code in (401, 403)
    bad = dispatcher_client.get("/api/routing/stats/", {"month": 13})
    assert bad.status_code == 400
