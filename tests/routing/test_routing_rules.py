"""Routing rules: order, region subtrees, conditions, co-handling, returns and no match."""

import pytest
from django_scopes import scope, scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing
from services.routing.models import CaseDeadline, RoutingDecision, RoutingRule
from tests.helpers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def timeline(case) -> list[tuple[str, str]]:
    with scopes_disabled():
        return [(e.action, e.note_text) for e in case.timeline.all()]


def test_the_first_matching_rule_in_order_decides(world):
    first, _second = world.replace_rules(
        {"department": "xinhe_social", "name": "新河镇欠薪"},
        {"department": "labour", "name": "全市欠薪"},
    )
    case = world.route()
    assert (case.state, case.department.code) == ("assigned", "xinhe_social")
    assert "按规则“新河镇欠薪”分拨。" in [note for _a, note in timeline(case)]

    with scope(tenant=world.tenant.pk):
        RoutingRule.objects.filter(pk=first.pk).update(order=99)
    assert world.route().department.code == "labour", "reordering takes effect at once"

    with scope(tenant=world.tenant.pk):
        RoutingRule.objects.filter(pk=_second.pk).update(active=False)
    assert world.route().department.code == "xinhe_social", "inactive rules never match"


def test_a_region_rule_covers_its_villages_and_grids_only(world):
    world.replace_rules(
        {"department": "xinhe_social", "region": "新河镇"},
        {"department": "labour"},
    )
    assert world.route(region="新河镇").department.code == "xinhe_social"
    assert world.route(region="长屿村").department.code == "xinhe_social"
    assert world.route(region="长屿村第一网格").department.code == "xinhe_social"
    assert world.route(region="城东街道").department.code == "labour"
    assert world.route(region=None).department.code == "labour"


def test_a_rule_for_a_village_does_not_cover_its_township(world):
    world.replace_rules(
        {"department": "xinhe_social", "region": "长屿村"}, {"department": "labour"}
    )
    assert world.route(region="长屿村第一网格").department.code == "xinhe_social"
    assert world.route(region="新河镇").department.code == "labour"


def test_extra_field_comparisons_send_group_cases_to_the_city(world):
    world.replace_rules(
        {
            "department": "labour",
            "name": "群体性欠薪",
            "field_conditions": [{"field": "workers_affected", "op": ">=", "value": "10"}],
        },
        {"department": "xinhe_social", "name": "一般欠薪"},
    )
    assert world.route(workers_affected="10").department.code == "labour"
    assert world.route(workers_affected="250").department.code == "labour", "numbers, not text"
    assert world.route(workers_affected="9").department.code == "xinhe_social"


def test_decimal_and_text_comparisons(world):
    world.replace_rules(
        {
            "department": "labour",
            "field_conditions": [
                {"field": "amount_owed", "op": ">", "value": "100000"},
                {"field": "employer_name", "op": "contains", "value": "建筑"},
            ],
        },
        {"department": "xinhe_social"},
    )
    assert world.route(amount_owed="150000.50").department.code == "labour"
    assert world.route(amount_owed="99999").department.code == "xinhe_social"
    assert (
        world.route(amount_owed="150000", employer_name="某某餐饮店").department.code
        == "xinhe_social"
    ), "every field condition must hold"


def test_channel_priority_and_keyword_conditions(world):
    world.replace_rules(
        {"department": "civil_defence", "channels": ["desk"]},
        {"department": "medical", "priority": 1},
        {"department": "labour", "keywords": ["讨薪", "欠薪"]},
        {"department": "xinhe_social"},
    )
    assert world.route(description="老板欠薪三个月不给，工人们很着急。").department.code == "labour"
    assert world.route(description="工地老板拖欠我们三个月工资。").department.code == "xinhe_social"
    assert world.route(channel="desk").department.code == "civil_defence"
    assert world.route(priority=1).department.code == "medical"


def test_co_handling_departments_see_the_case(world):
    world.replace_rules({"department": "labour", "co": ["xinhe_social", "education"]})
    case = world.route()
    departments = world.departments
    with scope(tenant=world.tenant.pk):
        assert list(intake.co_handled_case_ids([departments["xinhe_social"].pk])) == [case.pk]
        assert list(intake.co_handled_case_ids([departments["education"].pk])) == [case.pk]
        assert list(intake.co_handled_case_ids([departments["labour"].pk])) == []
    assert any("协同部门：" in note and "新河镇社会事务办" in note for _a, note in timeline(case))


def test_a_returned_case_never_goes_back_by_the_same_rule(world):
    world.replace_rules(
        {"department": "labour", "name": "全市欠薪", "co": ["education"]},
        {"department": "xinhe_social", "name": "新河镇欠薪"},
    )
    labour = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    xinhe = world.staff("xinhe_clerk", directory.Role.DEPARTMENT, ("xinhe_social",))
    case = world.route()
    assert case.department.code == "labour"

    intake.take_transition(case.pk, "return_case", labour, "不属于本部门职责。")
    run_worker("routing", "deadlines")
    case = world.case(case.pk)
    assert (case.state, case.department.code) == ("assigned", "xinhe_social")
    with scope(tenant=world.tenant.pk):
        assert list(intake.co_handled_case_ids([world.departments["education"].pk])) == [], (
            "co-handling belongs to the rule that chose the lead department"
        )

    intake.take_transition(case.pk, "return_case", xinhe, "应由市级部门处理。")
    run_worker("routing", "deadlines")
    case = world.case(case.pk)
    assert case.state == "needs_dispatch", "both rules were returned: manual dispatch"

    with scopes_disabled():
        decisions = list(
            RoutingDecision.objects.filter(case_id=case.pk)
            .order_by("pk")
            .values_list("outcome", "returned")
        )
        assignments = list(
            CaseDeadline.objects.filter(case_id=case.pk)
            .order_by("pk")
            .values_list("department__code", "returned_at", "current")
        )
    assert decisions == [("assigned", True), ("assigned", True), ("no_match", False)]
    assert [(code, returned is not None, cur) for code, returned, cur in assignments] == [
        ("labour", True, False),
        ("xinhe_social", True, False),
    ]


def test_redelivered_events_route_once(world):
    world.replace_rules({"department": "labour"})
    case = world.route()
    from services.routing.handlers import route_submitted_case

    route_submitted_case.call("case.submitted", {"case_id": case.pk, "tenant_id": world.tenant.pk})
    with scopes_disabled():
        assert RoutingDecision.objects.filter(case_id=case.pk).count() == 1
        assert CaseDeadline.objects.filter(case_id=case.pk).count() == 1


def test_no_match_waits_for_a_dispatcher_who_assigns_by_hand(world):
    world.replace_rules({"department": "labour", "region": "城东街道"})
    case = world.route(region="新河镇")
    assert (case.state, case.department) == ("needs_dispatch", None)
    with scopes_disabled():
        assert RoutingDecision.objects.get(case_id=case.pk).outcome == "no_match"

    dispatcher = world.staff("duty_dispatcher", directory.Role.DISPATCHER)
    intake.assign(case.pk, world.departments["xinhe_social"].pk, "人工派单。", by=dispatcher)
    run_worker("routing", "deadlines")
    case = world.case(case.pk)
    assert (case.state, case.department.code) == ("assigned", "xinhe_social")
    assert [a for a, _n in timeline(case)] == ["submit", "hold_for_dispatch", "dispatch"]
    with scopes_disabled():
        deadline = CaseDeadline.objects.get(case_id=case.pk)
    assert (deadline.department.code, deadline.rule_id, deadline.current) == (
        "xinhe_social",
        None,
        True,
    ), "a dispatcher's assignment gets its deadline from the case.assigned event"


def test_another_tenants_rules_never_apply(world):
    world.replace_rules({"department": "labour", "region": "城东街道"})
    other = directory.create_tenant("另一县", "other-county")
    with scope(tenant=other.pk):
        dept = directory.create_department(other, "另一县人社局", "labour")
        routing.create_rule(other, "抢先规则", dept, scenario_codes=[], order=1)
    case = world.route(region="新河镇")
    assert case.state == "needs_dispatch"


def test_editing_a_rule_reaches_the_cached_rule_list(world):
    (rule,) = world.replace_rules({"department": "labour"})
    assert world.route().department.code == "labour"
    with scope(tenant=world.tenant.pk):
        rule = RoutingRule.objects.get(pk=rule.pk)
        rule.department = world.departments["xinhe_social"]
        rule.save()
    assert world.route().department.code == "xinhe_social"
    with scope(tenant=world.tenant.pk):
        RoutingRule.objects.filter(pk=rule.pk).delete()
    assert world.route().state == "needs_dispatch"


def test_a_rule_can_raise_the_priority_of_what_it_routes(world):
    world.replace_rules(
        {
            "department": "labour",
            "name": "群体欠薪",
            "set_priority": 1,
            "field_conditions": [{"field": "workers_affected", "op": ">=", "value": 10}],
        },
        {"department": "xinhe_social", "name": "其他欠薪"},
    )
    group = world.route(workers_affected="12")
    single = world.route(workers_affected="2")
    assert (group.department.code, group.priority) == ("labour", 1)
    assert (single.department.code, single.priority) == ("xinhe_social", 0)


def test_routing_decides_intake_assigns_and_the_clock_starts_from_the_event_alone(world):
    """One owner of who handles a case (intake: lead and co-handlers); routing only decides,
    and the deadline starts on `case.assigned`, once, with the rule that decided."""
    [rule] = world.replace_rules({"department": "labour", "co": ["education"]})
    case_id = world.submit()
    run_worker("routing")
    case = world.case(case_id)
    assert case.department.code == "labour"
    assert intake.co_handler_ids(case_id) == [world.departments["education"].pk]
    with scopes_disabled():
        assert not CaseDeadline.objects.filter(case_id=case_id).exists(), (
            "routing starts no clock itself"
        )
    run_worker("deadlines")
    run_worker("deadlines")  # nothing left: a second delivery would find the row there
    with scopes_disabled():
        [deadline] = CaseDeadline.objects.filter(case_id=case_id)
    assert (deadline.department.code, deadline.rule_id, deadline.current) == (
        "labour",
        rule.pk,
        True,
    )

    dispatcher = world.staff("duty_dispatcher", directory.Role.DISPATCHER)
    intake.take_transition(
        case_id, "sign_for", world.staff("lab", directory.Role.DEPARTMENT, ("labour",))
    )
    intake.assign(case_id, world.departments["xinhe_social"].pk, "改派。", by=dispatcher)
    assert intake.co_handler_ids(case_id) == [], "an assignment by hand names its own co-handlers"
    run_worker("deadlines")
    with scopes_disabled():
        current = CaseDeadline.objects.get(case_id=case_id, current=True)
    assert (current.department.code, current.rule_id) == ("xinhe_social", None)
