"""Deadlines: computed on assignment, three colours as the clock moves, one escalation."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django_scopes import scope, scopes_disabled
from django_tasks_db.models import DBTaskResult

from services import eventbus
from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing
from services.routing.events import CaseOverdue
from services.routing.models import CaseDeadline
from tests.helpers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

CST = ZoneInfo("Asia/Shanghai")
HOURS, DAYS = routing.TimeUnit.HOURS, routing.TimeUnit.DAYS


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CST)


@eventbus.subscribe(CaseOverdue, queue="default")
def overdue_seen_by_test(event: CaseOverdue) -> None:
    """Stands in for notify's subscriber, so each published case.overdue leaves a task row."""


def overdue_events(case_id: int) -> list[dict]:
    payloads = [
        r.args_kwargs["args"][1]
        for r in DBTaskResult.objects.filter(task_path__endswith="overdue_seen_by_test")
    ]
    # "at" (when the event happened) is stamped by the bus; compare the rest.
    return [{k: v for k, v in p.items() if k != "at"} for p in payloads if p["case_id"] == case_id]


def run_scheduled_check() -> None:
    """What production does: the scheduler enqueues, the routing worker runs."""
    call_command("scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    run_worker("routing", "deadlines")


def colour(world, case_id: int) -> str | None:
    with scope(tenant=world.tenant.pk):
        return routing.deadline_colours([case_id]).get(case_id)


def in_colour(world, name: str) -> list[int]:
    with scope(tenant=world.tenant.pk):
        return list(routing.case_ids_in_colour(name))


@pytest.fixture
def policy_world(world):
    with scope(tenant=world.tenant.pk):
        routing.create_deadline_policy(
            world.tenant, "一般时限", sign_for=(4, HOURS), resolve=(2, DAYS), is_default=True
        )
    world.replace_rules({"department": "labour"})
    return world


def test_green_then_yellow_then_red_and_exactly_one_escalation(policy_world):
    world = policy_world
    with time_machine.travel(at(3, 2, 9), tick=False) as clock:  # Monday 09:00
        case = world.route()
        with scopes_disabled():
            deadline = CaseDeadline.objects.get(case_id=case.pk)
        assert deadline.sign_due == at(3, 2, 13)
        assert deadline.sign_warn_at == at(3, 2, 12), "a quarter of 4 working hours left"
        assert deadline.resolve_due == at(3, 4, 17, 30)

        clock.move_to(at(3, 2, 10))
        assert colour(world, case.pk) == "green"
        assert in_colour(world, "green") == [case.pk]
        run_scheduled_check()
        assert not world.case(case.pk).escalated

        clock.move_to(at(3, 2, 12, 30))
        assert colour(world, case.pk) == "yellow"
        assert (in_colour(world, "yellow"), in_colour(world, "green")) == ([case.pk], [])

        clock.move_to(at(3, 2, 13, 30))
        assert colour(world, case.pk) == "red"
        assert (in_colour(world, "red"), in_colour(world, "yellow")) == ([case.pk], [])
        run_scheduled_check()
        run_scheduled_check()
        clock.move_to(at(3, 3, 9))
        run_scheduled_check()

    case = world.case(case.pk)
    assert case.escalated
    with scopes_disabled():
        escalations = [e.note_text for e in case.timeline.filter(action="escalate")]
    assert len(escalations) == 1
    assert "超过签收期限（2026-03-02 13:00）仍未签收" in escalations[0]
    assert overdue_events(case.pk) == [
        {
            "tenant_id": world.tenant.pk,
            "case_id": case.pk,
            "department_id": world.departments["labour"].pk,
        }
    ]


def test_signing_stops_the_sign_clock_and_an_overdue_resolution_escalates_on_its_own(
    policy_world,
):
    world = policy_world
    clerk = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    with time_machine.travel(at(3, 2, 9), tick=False) as clock:
        case = world.route()
        clock.move_to(at(3, 2, 14))  # signed late, after an escalation
        run_scheduled_check()
        intake.take_transition(case.pk, "sign_for", clerk)
        run_worker("routing", "deadlines")
        assert colour(world, case.pk) == "green", "now timed by the resolve deadline"

        clock.move_to(at(3, 4, 11))  # less than a quarter of 26.5 working hours left
        assert colour(world, case.pk) == "yellow"
        clock.move_to(at(3, 4, 18))
        assert colour(world, case.pk) == "red"
        run_scheduled_check()
        run_scheduled_check()

        clock.move_to(at(3, 5, 9))
        intake.take_transition(case.pk, "resolve", clerk, "已处理。", result="已处理。")
        run_worker("routing", "deadlines")
        assert colour(world, case.pk) is None, "a resolved case has no running deadline"
        assert in_colour(world, "red") == []

    with scopes_disabled():
        actions = [e.action for e in world.case(case.pk).timeline.all()]
        deadline = CaseDeadline.objects.get(case_id=case.pk)
    assert actions.count("escalate") == 1, "intake marks a case escalated once"
    assert actions.count("overdue") == 1, "the second overdue deadline is still on record"
    assert len(overdue_events(case.pk)) == 2
    assert (deadline.signed_at, deadline.resolved_at) == (at(3, 2, 14), at(3, 5, 9))


def test_deadlines_follow_the_tenant_calendar(world):
    with scope(tenant=world.tenant.pk):
        routing.create_deadline_policy(
            world.tenant,
            "欠薪时限",
            scenario_code="wage_arrears",
            sign_for=(2, HOURS),
            resolve=(3, DAYS),
        )
        routing.set_calendar_days(
            world.tenant,
            holidays=[(dt.date(2026, 10, d), "国庆节") for d in range(1, 8)],
            workdays=[(dt.date(2026, 10, 10), "国庆节调休")],
        )
    world.replace_rules({"department": "labour"})
    with time_machine.travel(at(9, 30, 17), tick=False):  # Wednesday before National Day
        case = world.route()
    with scopes_disabled():
        deadline = CaseDeadline.objects.get(case_id=case.pk)
    assert deadline.sign_due == at(10, 8, 10)
    assert deadline.resolve_due == at(10, 10, 17, 30), "Thu 8, Fri 9, make-up Sat 10"


def test_a_rule_policy_beats_the_scenario_policy_and_no_policy_means_no_colour(world):
    with scope(tenant=world.tenant.pk):
        routing.create_deadline_policy(
            world.tenant,
            "欠薪",
            scenario_code="wage_arrears",
            sign_for=(8, HOURS),
            resolve=(5, DAYS),
        )
        urgent = routing.create_deadline_policy(
            world.tenant, "群体性紧急", sign_for=(1, HOURS), resolve=(1, DAYS)
        )
    world.replace_rules(
        {
            "department": "labour",
            "deadline_policy": urgent,
            "field_conditions": [{"field": "workers_affected", "op": ">=", "value": "10"}],
        },
        {"department": "xinhe_social"},
        {"department": "education", "scenario_codes": []},
    )
    with time_machine.travel(at(3, 2, 9), tick=False):
        group = world.route(workers_affected="30")
        single = world.route(workers_affected="1")
    with scopes_disabled():
        dues = dict(CaseDeadline.objects.values_list("case_id", "sign_due"))
    assert dues == {group.pk: at(3, 2, 10), single.pk: at(3, 2, 17)}

    with scope(tenant=world.tenant.pk):
        from services.routing.models import DeadlinePolicy

        DeadlinePolicy.objects.all().delete()
    case = world.route()
    assert colour(world, case.pk) is None


def test_extension_requested_by_staff_and_approved_by_a_dispatcher(policy_world):
    world = policy_world
    clerk = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    outsider = world.staff("edu_clerk", directory.Role.DEPARTMENT, ("education",))
    dispatcher = world.staff("duty", directory.Role.DISPATCHER)
    with time_machine.travel(at(3, 2, 9), tick=False) as clock:
        case = world.route()
        intake.take_transition(case.pk, "sign_for", clerk)
        run_worker("routing", "deadlines")
        with scope(tenant=world.tenant.pk):
            from django.core.exceptions import PermissionDenied

            with pytest.raises(PermissionDenied):
                routing.request_extension(
                    case.pk, outsider, phase="resolve", amount=1, unit=DAYS, reason="想延期"
                )
            ext = routing.request_extension(
                case.pk, clerk, phase="resolve", amount=2, unit=DAYS, reason="需等待企业账目"
            )
            with pytest.raises(PermissionDenied):
                routing.decide_extension(ext.pk, clerk, approve=True)
            clock.move_to(at(3, 4, 18))
            assert routing.deadline_colours([case.pk])[case.pk] == "red"
            routing.decide_extension(ext.pk, dispatcher, approve=True, note="同意")
            assert routing.deadline_colours([case.pk])[case.pk] == "green"
    with scopes_disabled():
        deadline = CaseDeadline.objects.get(case_id=case.pk)
        notes = [(e.action, e.note_text) for e in world.case(case.pk).timeline.all()]
    assert deadline.resolve_due == at(3, 6, 17, 30), "two working days after Wed 17:30"
    assert ("extension_requested", "申请延长办结期限 2 个工作日：需等待企业账目") in notes
    assert (
        "extension_decided",
        "延期已批准：办结期限延至 2026-03-06 17:30。审批意见：同意",
    ) in notes


def test_reopening_gives_a_fresh_resolve_period_and_invalidating_ends_the_clock(policy_world):
    world = policy_world
    clerk = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    dispatcher = world.staff("duty", directory.Role.DISPATCHER)
    with time_machine.travel(at(3, 2, 9), tick=False) as clock:
        case = world.route()
        intake.take_transition(case.pk, "sign_for", clerk)
        intake.take_transition(case.pk, "resolve", clerk, "已处理。", result="已处理。")
        run_worker("routing", "deadlines")
        assert colour(world, case.pk) is None

        clock.move_to(at(3, 9, 9))  # the command room sends it back a week later (重办)
        intake.take_transition(case.pk, "reopen_by_dispatcher", dispatcher, "市民不满意。")
        run_worker("routing", "deadlines")  # case.reopened, as the deadlines worker gets it
        assert colour(world, case.pk) == "green"
        with scopes_disabled():
            assert CaseDeadline.objects.get(case_id=case.pk).resolve_due == at(3, 11, 17, 30)

        other = world.route()
        intake.take_transition(other.pk, "invalidate", dispatcher, "重复举报。")
        run_worker("routing", "deadlines")
        assert colour(world, other.pk) is None, "a closed case has no running deadline"
        with scopes_disabled():
            assert not CaseDeadline.objects.get(case_id=other.pk).current


def test_the_demo_routes_group_wage_arrears_with_co_handling_and_a_short_deadline(demo):
    from tests.builders import entry_token, wage_arrears_form

    with time_machine.travel(at(3, 2, 9), tick=False):
        snapshot = intake.submit_via_entry_point(
            entry_token(demo.pk, "欠薪"), wage_arrears_form(workers_affected="25")
        )
        run_worker("routing", "deadlines")
    with scopes_disabled():
        deadline = CaseDeadline.objects.get(case_id=snapshot.id)
        xinhe = deadline.department.__class__.objects.get(tenant=demo, code="xinhe_social")
    assert deadline.department.code == "labour"
    assert deadline.sign_due == at(3, 2, 10), "the group policy: one working hour"
    with scope(tenant=demo.pk):
        assert list(intake.co_handled_case_ids([xinhe.pk])) == [snapshot.id]


def test_a_new_default_policy_takes_over_from_the_old_one(world):
    from services.routing.deadlines import choose_policy

    with scope(tenant=world.tenant.pk):
        old = routing.create_deadline_policy(
            world.tenant, "旧默认", sign_for=(8, HOURS), resolve=(5, DAYS), is_default=True
        )
        new = routing.create_deadline_policy(
            world.tenant, "新默认", sign_for=(2, HOURS), resolve=(3, DAYS), is_default=True
        )
        old.refresh_from_db()
        assert (old.is_default, choose_policy(world.tenant.pk, "campus")) == (False, new)
