"""Routing's reactions to intake's events, run by the routing worker (scoped to the tenant)."""

from services import eventbus

from . import deadlines, tasks  # noqa: F401  (tasks registers the periodic deadline check)
from .services import route_case


@eventbus.subscribe("case.submitted", queue="routing")
def route_submitted_case(event: str, payload: dict) -> None:
    route_case(payload["case_id"])


@eventbus.subscribe("case.returned", queue="routing")
def reroute_returned_case(event: str, payload: dict) -> None:
    route_case(payload["case_id"], after_return=True)


@eventbus.subscribe("case.assigned", queue="routing")
def start_deadline_clock(event: str, payload: dict) -> None:
    deadlines.follow_assignment(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.signed_for", queue="routing")
def stop_sign_for_clock(event: str, payload: dict) -> None:
    deadlines.record_signed(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.resolved", queue="routing")
def stop_resolve_clock(event: str, payload: dict) -> None:
    deadlines.record_resolved(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.reopened", queue="routing")
def restart_resolve_clock(event: str, payload: dict) -> None:
    deadlines.record_reopened(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.closed", queue="routing")
def end_deadline_on_close(event: str, payload: dict) -> None:
    deadlines.record_closed(payload["case_id"], deadlines.event_time(payload))
