"""Routing's reactions to intake's events (each scoped to the event's tenant).

Routing itself runs on the "routing" queue. Following assigned cases' deadlines runs on the
"deadlines" queue, its own worker, so a burst of submissions is routed without waiting
behind the bookkeeping of the assignments it causes.
"""

from services import eventbus
from services.intake import events as intake_events

from . import deadlines, tasks  # importing tasks registers the periodic deadline check
from .dispatch import route_case

DEADLINES = tasks.QUEUE


@eventbus.subscribe(intake_events.CaseSubmitted, queue="routing")
def route_submitted_case(event: intake_events.CaseSubmitted) -> None:
    route_case(event.case_id)


@eventbus.subscribe(intake_events.CaseReturned, queue="routing")
def reroute_returned_case(event: intake_events.CaseReturned) -> None:
    route_case(event.case_id, after_return=True)


@eventbus.subscribe(intake_events.CaseAssigned, queue=DEADLINES)
def start_deadline_clock(event: intake_events.CaseAssigned) -> None:
    deadlines.follow_assignment(event.case_id, deadlines.event_time(event), event.rule_id)


@eventbus.subscribe(intake_events.CaseSignedFor, queue=DEADLINES)
def stop_sign_for_clock(event: intake_events.CaseSignedFor) -> None:
    deadlines.record_signed(event.case_id, deadlines.event_time(event))


@eventbus.subscribe(intake_events.CaseResolved, queue=DEADLINES)
def stop_resolve_clock(event: intake_events.CaseResolved) -> None:
    deadlines.record_resolved(event.case_id, deadlines.event_time(event))


@eventbus.subscribe(intake_events.CaseReopened, queue=DEADLINES)
def restart_resolve_clock(event: intake_events.CaseReopened) -> None:
    deadlines.record_reopened(event.case_id, deadlines.event_time(event))


@eventbus.subscribe(intake_events.CaseClosed, queue=DEADLINES)
def end_deadline_on_close(event: intake_events.CaseClosed) -> None:
    deadlines.record_closed(event.case_id, deadlines.event_time(event))
