"""Routing's reactions to intake's events, run by the routing worker."""

from services import eventbus

from .services import route_case


@eventbus.subscribe("case.submitted", queue="routing")
def route_submitted_case(event: str, payload: dict) -> None:
    route_case(payload["case_id"])


@eventbus.subscribe("case.returned", queue="routing")
def reroute_returned_case(event: str, payload: dict) -> None:
    route_case(payload["case_id"], after_return=True)
