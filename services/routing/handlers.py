"""Routing's reactions to intake's events (each scoped to the event's tenant).

Routing itself runs on the "routing" queue. Following assigned cases' deadlines runs on the
"deadlines" queue, its own worker, so a burst of submissions is routed without waiting
behind the bookkeeping of the assignments it causes.
"""

from services import eventbus

from . import deadlines, tasks  # importing tasks registers the periodic deadline check
from .services import route_case

DEADLINES = tasks.QUEUE


@eventbus.subscribe("case.submitted", queue="routing")
def route_submitted_case(event: str, payload: dict) -> None:
    route_case(payload["case_id"])


@eventbus.subscribe("case.returned", queue="routing")
def reroute_returned_case(event: str, payload: dict) -> None:
    route_case(payload["case_id"], after_return=True)


@eventbus.subscribe("case.assigned", queue=DEADLINES)
def start_deadline_clock(event: str, payload: dict) -> None:
    deadlines.follow_assignment(
        payload["case_id"], deadlines.event_time(payload), payload.get("rule_id")
    )


@eventbus.subscribe("case.signed_for", queue=DEADLINES)
def stop_sign_for_clock(event: str, payload: dict) -> None:
    deadlines.record_signed(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.resolved", queue=DEADLINES)
def stop_resolve_clock(event: str, payload: dict) -> None:
    deadlines.record_resolved(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.reopened", queue=DEADLINES)
def restart_resolve_clock(event: str, payload: dict) -> None:
    deadlines.record_reopened(payload["case_id"], deadlines.event_time(payload))


@eventbus.subscribe("case.closed", queue=DEADLINES)
def end_deadline_on_close(event: str, payload: dict) -> None:
    deadlines.record_closed(payload["case_id"], deadlines.event_time(payload))
