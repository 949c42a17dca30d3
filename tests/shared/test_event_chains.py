"""Each event chain (a publisher's event → a subscriber's reaction) has one test driven by the
real producer: a submission, a staff member's transition, the scheduled deadline check, a
citizen's SMS reply — never a hand-made event.

CHAINS names that test for every subscription of the project; a new subscription fails
`test_every_subscription_names_the_test_of_its_chain` until its chain test is listed here.
"""

import asyncio
import importlib

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from frontend import dashboard_live
from services import eventbus
from services.directory import api as directory
from services.eventbus.checks import app_of
from services.intake import api as intake
from tests.helpers import run_worker

JOURNEY = "tests.journeys.test_journey::test_submission_is_routed_handled_surveyed_and_closed"
DEADLINES = "tests.routing.test_routing_deadlines"
PANELS = "tests.frontend.test_dashboard_live_panels"
THIS = "tests.shared.test_event_chains::test_every_case_change_reaches_the_command_rooms_screens"

# (event, subscriber) → the test that drives the chain from the event's real producer.
CHAINS: dict[tuple[str, str], str] = {
    ("case.submitted", "services.intake.handlers.look_for_duplicates"): (
        "tests.intake.test_intake_duplicates::test_a_similar_case_at_the_same_code_is_linked_for_staff"
    ),
    ("case.submitted", "services.routing.handlers.route_submitted_case"): JOURNEY,
    ("case.submitted", "services.notify.handlers.send_receipt_sms"): JOURNEY,
    ("case.submitted", "frontend.dashboard_live.push_case"): (
        "tests.frontend.test_dashboard_socket::test_a_submission_reaches_its_countys_screens_and_no_other"
    ),
    ("case.assigned", "services.routing.handlers.start_deadline_clock"): (
        f"{DEADLINES}::test_green_then_yellow_then_red_and_exactly_one_escalation"
    ),
    ("case.assigned", "services.notify.handlers.send_assigned_sms"): (
        "tests.notify.test_notify_progress::test_progress_sms_name_the_department_once"
    ),
    ("case.assigned", "frontend.dashboard_live.push_case"): THIS,
    ("case.needs_dispatch", "frontend.dashboard_live.push_case"): THIS,
    ("case.signed_for", "services.routing.handlers.stop_sign_for_clock"): (
        f"{DEADLINES}::test_signing_stops_the_sign_clock_and_an_overdue_resolution_escalates_on_its_own"
    ),
    ("case.signed_for", "frontend.dashboard_live.push_case"): THIS,
    ("case.returned", "services.routing.handlers.reroute_returned_case"): (
        "tests.routing.test_routing_rules::test_a_returned_case_never_goes_back_by_the_same_rule"
    ),
    ("case.returned", "frontend.dashboard_live.push_case"): THIS,
    ("case.resolved", "services.routing.handlers.stop_resolve_clock"): (
        f"{DEADLINES}::test_reopening_gives_a_fresh_resolve_period_and_invalidating_ends_the_clock"
    ),
    ("case.resolved", "services.notify.handlers.send_survey_sms"): JOURNEY,
    ("case.resolved", "frontend.dashboard_live.push_case"): THIS,
    ("case.reopened", "services.routing.handlers.restart_resolve_clock"): (
        f"{DEADLINES}::test_reopening_gives_a_fresh_resolve_period_and_invalidating_ends_the_clock"
    ),
    ("case.reopened", "frontend.dashboard_live.push_case"): THIS,
    ("case.closed", "services.routing.handlers.end_deadline_on_close"): (
        f"{DEADLINES}::test_reopening_gives_a_fresh_resolve_period_and_invalidating_ends_the_clock"
    ),
    ("case.closed", "services.notify.handlers.stop_surveying_closed_case"): (
        "tests.notify.test_survey_loop::test_a_case_closed_otherwise_stops_its_survey"
    ),
    ("case.closed", "frontend.dashboard_live.push_case"): THIS,
    ("case.escalated", "services.notify.handlers.alert_escalated"): (
        "tests.notify.test_notify_alerts::test_a_second_dissatisfaction_still_alerts_as_an_escalation"
    ),
    ("case.escalated", "frontend.dashboard_live.push_case"): (
        f"{PANELS}::test_sign_for_resolve_and_colour_changes_reach_the_screen_and_its_panels"
    ),
    ("case.due_soon", "frontend.dashboard_live.push_case"): (
        f"{PANELS}::test_sign_for_resolve_and_colour_changes_reach_the_screen_and_its_panels"
    ),
    ("case.overdue", "services.notify.handlers.alert_overdue"): (
        "tests.notify.test_notify_alerts::test_one_overdue_case_alerts_each_person_once_by_the_real_deadline_check"
    ),
    ("case.overdue", "frontend.dashboard_live.push_case"): (
        f"{PANELS}::test_sign_for_resolve_and_colour_changes_reach_the_screen_and_its_panels"
    ),
    ("survey.answered", "services.intake.handlers.close_or_reopen_after_survey"): JOURNEY,
    ("survey.expired", "services.intake.handlers.close_after_survey_timeout"): (
        "tests.notify.test_survey_loop::test_no_answer_one_reminder_then_the_case_closes_as_no_response"
    ),
    ("staff.alerted", "frontend.dashboard_live.push_staff_alert"): (
        f"{PANELS}::test_an_alert_reaches_the_alerted_persons_screen_only"
    ),
}


def project_chains() -> set[tuple[str, str]]:
    return {
        (event.name, f"{s.handler.__module__}.{s.handler.__name__}")
        for s in eventbus.subscriptions()
        if app_of(s.handler.__module__) is not None  # not a test's own subscription
        for event in s.events
    }


def test_every_subscription_names_the_test_of_its_chain():
    chains = project_chains()
    assert chains - CHAINS.keys() == set(), "add the chain's real-producer test to CHAINS"
    assert CHAINS.keys() - chains == set(), "no such subscription any more"


@pytest.mark.parametrize("node", sorted(set(CHAINS.values())))
def test_each_named_chain_test_exists(node):
    module, function = node.split("::")
    assert callable(getattr(importlib.import_module(module), function, None)), node


async def _collect(layer, channel: str) -> list[dict]:
    received = []
    while True:
        try:
            received.append(await asyncio.wait_for(layer.receive(channel), timeout=1))
        except TimeoutError:
            return received


@pytest.mark.django_db(transaction=True)
def test_every_case_change_reaches_the_command_rooms_screens(world):
    """Return → no rule left → 待派单 → 派单 → 签收 → 办结 → 指挥室重办 → 作废: each pushed."""
    world.replace_rules({"department": "labour", "name": "全市欠薪"})
    clerk = world.staff("labour_clerk", directory.Role.DEPARTMENT, ("labour",))
    dispatcher = world.staff("duty", directory.Role.DISPATCHER)
    layer = get_channel_layer()
    screen = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(dashboard_live.group_name(world.tenant.pk), screen)

    case = world.route()
    intake.take_transition(case.pk, "return_case", clerk, "不属于本部门职责。")
    run_worker("routing", "deadlines")
    assert world.case(case.pk).state == "needs_dispatch"
    intake.assign(case.pk, world.departments["labour"].pk, "人工派单。", by=dispatcher)
    intake.take_transition(case.pk, "sign_for", clerk)
    intake.take_transition(case.pk, "resolve", clerk, "已处理。", result="已处理。")
    intake.take_transition(case.pk, "reopen_by_dispatcher", dispatcher, "重办。")
    intake.take_transition(case.pk, "invalidate", dispatcher, "重复举报。")
    run_worker("dashboard")

    pushed = [
        m["event"]
        for m in async_to_sync(_collect)(layer, screen)
        if m["type"] == dashboard_live.MESSAGE_TYPE and m["case"]["id"] == case.pk
    ]
    # The worker may take one batch's rows in any order: what counts is that each arrived.
    assert sorted(pushed) == sorted(
        [
            "case.submitted",
            "case.assigned",
            "case.returned",
            "case.needs_dispatch",
            "case.assigned",
            "case.signed_for",
            "case.resolved",
            "case.reopened",
            "case.closed",
        ]
    )
