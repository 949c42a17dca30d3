"""Routing in the admin: rules edited with validation, the "try it" page, extensions."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from services.directory import api as directory
from services.intake.models import CaseCoHandler
from services.routing import api as routing
from services.routing import trial
from services.routing.models import CaseDeadline, DeadlineExtension, RoutingRule
from tests.builders import grant, rule_form
from tests.helpers import ADD_URL, client_for, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

CST = ZoneInfo("Asia/Shanghai")
TRY_URL = "/admin/routing/routingrule/try/"


@pytest.fixture
def tenant_admin(world):
    user = world.staff("rules_admin", directory.Role.TENANT_ADMIN)
    grant(user, "add_routingrule", "change_routingrule", "view_routingrule")
    return user


def test_a_rule_is_saved_as_data_for_the_admins_own_tenant(world, tenant_admin):
    other = directory.create_tenant("另一县", "other-county")
    response = client_for(tenant_admin).post(
        ADD_URL,
        rule_form(
            world,
            tenant=str(other.pk),
            keywords_text="讨薪，欠薪、工资",
            channels_choice=["qr", "desk"],
            region=str(world.regions["新河镇"].pk),
        ),
    )
    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        rule = RoutingRule.objects.get(name="群体性欠薪")
        co = [d.code for d in rule.co_departments.all()]
    assert rule.tenant_id == world.tenant.pk, "a posted tenant is ignored"
    assert rule.scenario_codes == ["wage_arrears"]
    assert rule.keywords == ["讨薪", "欠薪", "工资"]
    assert rule.channels == ["qr", "desk"]
    assert rule.field_conditions == [{"field": "workers_affected", "op": ">=", "value": "10"}]
    assert (co, rule.set_priority, rule.region.name) == (["xinhe_social"], 1, "新河镇")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"conditions_text": "victims >= 10"}, "场景“wage_arrears”没有字段“victims”"),
        ({"scenarios_text": "", "conditions_text": "workers_affected >= 10"}, "请先填写场景"),
        ({"scenarios_text": "wage_arrears, no_such"}, "没有这些场景：no_such"),
        ({"conditions_text": "workers_affected about 10"}, "无法识别条件"),
        ({"co_departments": [], "department": "", "conditions_text": ""}, "该字段是必填项"),
    ],
)
def test_invalid_rules_are_refused_with_a_clear_message(world, tenant_admin, overrides, message):
    response = client_for(tenant_admin).post(ADD_URL, rule_form(world, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    with scopes_disabled():
        assert not RoutingRule.objects.filter(name="群体性欠薪").exists()


def test_lead_department_cannot_also_co_handle(world, tenant_admin):
    labour = str(world.departments["labour"].pk)
    response = client_for(tenant_admin).post(ADD_URL, rule_form(world, co_departments=[labour]))
    assert "承办部门不能同时作为协同部门" in response.content.decode()


def test_another_tenants_department_cannot_be_chosen(world, tenant_admin):
    other = directory.create_tenant("另一县", "other-county")
    with scope(tenant=other.pk):
        foreign = directory.create_department(other, "另一县人社局", "labour")
    response = client_for(tenant_admin).post(
        ADD_URL, rule_form(world, department=str(foreign.pk), co_departments=[])
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert not RoutingRule.objects.filter(name="群体性欠薪").exists()


def test_try_it_shows_the_match_and_why_earlier_rules_did_not(world, tenant_admin):
    world.replace_rules(
        {
            "department": "labour",
            "name": "群体性欠薪",
            "field_conditions": [{"field": "workers_affected", "op": ">=", "value": "10"}],
        },
        {"department": "education", "name": "校园", "scenario_codes": ["campus"]},
        {"department": "civil_defence", "name": "城东专线", "region": "城东街道"},
        {"department": "xinhe_social", "name": "新河镇欠薪", "region": "新河镇"},
    )
    page = (
        client_for(tenant_admin)
        .post(
            TRY_URL,
            {
                "scenario_code": "wage_arrears",
                "region": str(world.regions["长屿村第一网格"].pk),
                "channel": "qr",
                "priority": "0",
                "description": "拖欠工资",
                "extra": "workers_affected=3",
            },
        )
        .content.decode()
    )
    assert "命中规则“新河镇欠薪”" in page
    assert "场景字段条件不满足：workers_affected &gt;= 10（案件值：3）" in page
    assert "场景“wage_arrears”不在规则场景（campus）之内" in page
    assert "案件区域不在“城东街道”及其下级范围内" in page


def test_try_it_with_an_existing_case_and_never_another_tenants(world, tenant_admin):
    world.replace_rules({"department": "labour", "region": "城东街道"})
    case = world.route(region="新河镇")
    client = client_for(tenant_admin)
    page = client.post(TRY_URL, {"case_id": str(case.pk), "channel": "qr", "priority": "0"})
    text = page.content.decode()
    assert case.tracking_number in text and "没有匹配的规则" in text

    other = directory.create_tenant("另一县", "other-county")
    outsider = directory.create_staff(
        other, "other_admin", "pw-other-1", directory.Role.TENANT_ADMIN
    )
    grant(outsider.user, "view_routingrule")
    foreign = client_for(outsider.user).post(
        TRY_URL, {"case_id": str(case.pk), "channel": "qr", "priority": "0"}
    )
    assert case.tracking_number not in foreign.content.decode()
    assert f"找不到编号为 {case.pk} 的案件" in foreign.content.decode()


def test_a_sample_in_another_tenants_region_is_refused(world):
    other = directory.create_tenant("另一县", "other-county")
    sample = {"scenario_code": "wage_arrears", "channel": "qr", "priority": 0}
    with pytest.raises(PermissionDenied):
        trial.try_sample(
            other.pk, region_id=world.regions["新河镇"].pk, description="", extra={}, **sample
        )


def test_try_it_needs_permission(world):
    clerk = world.staff("clerk", directory.Role.DEPARTMENT, ("labour",))
    assert client_for(clerk).post(TRY_URL, {"case_id": "1"}).status_code in (302, 403)


def test_extension_asked_on_the_case_page_and_approved_by_the_dispatcher(world):
    with scope(tenant=world.tenant.pk):
        routing.create_deadline_policy(
            world.tenant,
            "一般时限",
            sign_for=(4, routing.TimeUnit.HOURS),
            resolve=(2, routing.TimeUnit.DAYS),
            is_default=True,
        )
    world.replace_rules({"department": "labour"})
    clerk = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    dispatcher = world.staff("duty", directory.Role.DISPATCHER)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=CST), tick=False):
        case = world.route()
        asking = client_for(clerk)
        page = asking.get(f"/admin/intake/case/{case.pk}/change/").content.decode()
        assert "申请延期" in page and "extension-reason" in page
        assert asking.get("/admin/routing/deadlineextension/add/").status_code == 403
        ask_url = f"/admin/intake/case/{case.pk}/extension/"
        request = {
            "phase": "sign_for",
            "amount": "2",
            "unit": "hours",
            "reason": "经办人外出核查，下午签收",
        }
        empty = asking.post(ask_url, {**request, "reason": " "}, follow=True)
        assert "请填写延期理由" in empty.content.decode()
        no_amount = asking.post(ask_url, {**request, "amount": "0"}, follow=True)
        assert "请填写要延长的时长" in no_amount.content.decode()
        asked = asking.post(ask_url, request, follow=True)
        assert "延期申请已提交，等待指挥室审批" in asked.content.decode()
        again = asking.post(ask_url, request, follow=True)
        assert "已有待审批的延期申请" in again.content.decode()
        other = world.staff("medical_clerk", directory.Role.DEPARTMENT, ("medical",))
        assert client_for(other).post(ask_url, request).status_code == 404, "not their case"

        with scopes_disabled():
            extension = DeadlineExtension.objects.get(case_id=case.pk)
        refused = asking.post(
            "/admin/routing/deadlineextension/",
            {"action": "approve", "_selected_action": [str(extension.pk)]},
        )
        assert refused.status_code in (200, 302)
        with scopes_disabled():
            assert DeadlineExtension.objects.get(pk=extension.pk).status == "pending"

        listing = client_for(dispatcher).get("/admin/routing/deadlineextension/")
        assert f'href="/admin/intake/case/{case.pk}/change/"' in listing.content.decode()
        approved = client_for(dispatcher).post(
            "/admin/routing/deadlineextension/",
            {"action": "approve", "_selected_action": [str(extension.pk)]},
        )
        assert approved.status_code == 302
    with scopes_disabled():
        extension.refresh_from_db()
        deadline = CaseDeadline.objects.get(case_id=case.pk)
        actions = [e.action for e in world.case(case.pk).timeline.all()]
    assert (extension.status, extension.decided_by_id) == ("approved", dispatcher.pk)
    assert deadline.sign_due == dt.datetime(2026, 3, 2, 15, tzinfo=CST), "13:00 + 2 hours"
    assert actions[-2:] == ["extension_requested", "extension_decided"]


@pytest.fixture
def calendar_admin(world):
    user = world.staff("calendar_admin", directory.Role.TENANT_ADMIN)
    grant(
        user,
        *(f"{action}_{model}" for action in ("add", "change", "view")
          for model in ("deadlinepolicy", "calendarday", "workcalendar")),
    )  # fmt: skip
    return client_for(user)


def policy_form(**overrides) -> dict:
    data = {
        "name": "校园时限",
        "scenario_code": "campus",
        "sign_for_limit": "2",
        "sign_for_unit": "hours",
        "resolve_limit": "3",
        "resolve_unit": "days",
        "warn_share": "0.25",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scenario_code": "no_such"}, "没有这些场景：no_such"),
        ({"scenario_code": "", "is_default": "on"}, "平台默认时限已是“旧默认”"),
        ({"is_default": "on"}, "平台默认时限不能同时指定适用场景"),
        ({"warn_share": "1.5"}, "0.99"),
    ],
)
def test_deadline_policies_are_checked(world, calendar_admin, overrides, message):
    with scope(tenant=world.tenant.pk):
        routing.create_deadline_policy(
            world.tenant, "旧默认", sign_for=(4, "hours"), resolve=(5, "days"), is_default=True
        )
    url = "/admin/routing/deadlinepolicy/add/"
    response = calendar_admin.post(url, policy_form(**overrides))
    assert message in response.content.decode()
    assert calendar_admin.post(url, policy_form()).status_code == 302
    again = calendar_admin.post(url, policy_form(name="又一个"))
    assert "该场景已有办理时限“校园时限”" in again.content.decode()


def test_calendar_days_and_hours_are_checked(world, calendar_admin):
    url = "/admin/routing/calendarday/add/"
    new_year = {"date": "2026-01-01", "kind": "holiday", "name": "元旦"}
    duplicate = calendar_admin.post(url, {**new_year, "kind": "workday"})
    assert "2026-01-01 已登记为“节假日（不上班）”" in duplicate.content.decode()
    assert calendar_admin.post(url, {**new_year, "date": "2026-12-31"}).status_code == 302

    hours = {"day_start": "17:30", "day_end": "08:30", "weekend_days": ["6", "7"]}
    response = calendar_admin.post("/admin/routing/workcalendar/add/", hours)
    assert "下班时间必须晚于上班时间" in response.content.decode()
    every_day = {
        **hours,
        "day_start": "08:30",
        "day_end": "17:30",
        "weekend_days": [str(day) for day in range(1, 8)],
    }
    assert (
        "不能把一周七天都设为周休日"
        in calendar_admin.post("/admin/routing/workcalendar/add/", every_day).content.decode()
    )
    good = {**hours, "day_start": "08:00", "day_end": "17:00"}
    assert calendar_admin.post("/admin/routing/workcalendar/add/", good).status_code == 302
    second = calendar_admin.post("/admin/routing/workcalendar/add/", good)
    assert "本平台已有工作日历" in second.content.decode()
    from services.routing.deadlines import load_calendar

    with scope(tenant=world.tenant.pk):
        assert load_calendar(world.tenant.pk).day_end == dt.time(17, 0)


def test_weekend_days_are_ticked_by_name_not_typed_as_json(world, calendar_admin):
    url = "/admin/routing/workcalendar/add/"
    form = calendar_admin.get(url).content.decode()
    for number, name in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"), 1):
        assert re.search(
            rf'<input type="checkbox" name="weekend_days" value="{number}"[^>]*>\s*{name}', form
        ), name
    six_day_week = {"day_start": "08:30", "day_end": "17:30", "weekend_days": ["7"]}
    assert calendar_admin.post(url, six_day_week).status_code == 302
    from services.routing.models import WorkCalendar

    with scopes_disabled():
        calendar = WorkCalendar.objects.get(tenant=world.tenant)
    assert calendar.weekend_days == [7]
    edit = calendar_admin.get(f"/admin/routing/workcalendar/{calendar.pk}/change/")
    assert re.search(r'value="7"[^>]*checked', edit.content.decode()), "the saved day is ticked"
    assert not re.search(r'value="6"[^>]*checked', edit.content.decode())


def test_an_admin_edit_of_a_rule_reaches_the_routing_workers_cache_at_once(world, tenant_admin):
    """The worker keeps the tenant's compiled rules in memory; the next case sees the edit."""
    (rule,) = world.replace_rules({"department": "labour"})
    assert world.route().department.code == "labour"  # the worker's cache is warm now
    xinhe, labour = world.departments["xinhe_social"], world.departments["labour"]
    form = rule_form(
        world,
        conditions_text="",
        set_priority="",
        department=str(xinhe.pk),
        co_departments=[str(labour.pk)],
    )
    response = client_for(tenant_admin).post(f"/admin/routing/routingrule/{rule.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = world.route()
    assert case.department.code == "xinhe_social"
    with scopes_disabled():
        co = CaseCoHandler.objects.filter(case_id=case.pk).values_list("department_id", flat=True)
        assert list(co) == [labour.pk]


def test_routing_a_case_reads_the_tenants_configuration_with_one_query(world):
    """Rules, deadline policies and calendar come from the worker's cache, checked by one
    primary-key read; it used to read the rule table's fingerprint and the policies and
    calendar again for every case."""
    world.replace_rules({"department": "labour"})
    world.route()  # warm
    case_id = world.submit()
    with CaptureQueriesContext(connection) as queries:
        run_worker("routing")
    routing_reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and any(
            t in q["sql"] for t in ("routing_routingrule", "routing_deadlinepolicy",
                                    "routing_workcalendar", "routing_calendarday",
                                    "routing_routingconfigversion")
        )
    ]  # fmt: skip
    assert len(routing_reads) == 1, routing_reads
    assert world.case(case_id).state == "assigned"
