"""The command room's live feed (指挥室实时推送): case events pushed to the tenant's group.

The events are handled on the `dashboard` queue by a worker, which sends each to the channel
group of the case's tenant; every dashboard socket of that tenant (frontend/consumers.py) is in
that group. With Redis as channel layer this crosses processes. With the embedded in-memory
layer a worker cannot reach the web process's sockets, so the page also polls `live.json`
(faster when it knows the layer is in-memory) — the screen stays current either way.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from services import eventbus
from services.directory import api as directory
from services.intake import api as intake
from services.intake import events as intake_events
from services.notify import events as notify_events
from services.routing import events as routing_events

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "case.event"  # handled by DashboardConsumer.case_event
ALERT_TYPE = "staff.alert"  # handled by DashboardConsumer.staff_alert


def may_watch(staff: directory.StaffInfo | None) -> bool:
    """The command-room screen, its socket and the monthly report (policy: WATCH_DASHBOARD)."""
    return directory.policy.can(staff, directory.Capability.WATCH_DASHBOARD)


def group_name(tenant_id: int) -> str:
    return f"dashboard.tenant.{int(tenant_id)}"


def user_group_name(user_id: int) -> str:
    """One staff member's open screens: their own alerts go there, no one else's."""
    return f"dashboard.user.{int(user_id)}"


def layer_is_in_memory() -> bool:
    return settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer")


def _send(group: str, message: dict, what: str) -> bool:
    """A screen that misses a push catches up by polling, so a channel-layer failure is logged,
    not retried (a retried push would arrive late and out of order)."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except Exception:
        logger.warning("Dashboard push of %s failed; screens will poll", what, exc_info=True)
        return False
    return True


# What the panels show a case's card for: a change of the case or of its deadline's colour.
CaseEvent = intake_events.CaseChanged | routing_events.DeadlineEvent


def announce(event: CaseEvent) -> bool:
    """Sends the case's card to its tenant's screens; False if there was nothing to send."""
    tenant_id = event.tenant_id
    cards = intake.case_cards(tenant_id, ids=[event.case_id], limit=1)
    if not cards:
        return False
    message = {"type": MESSAGE_TYPE, "event": event.name, "case": cards[0].as_json()}
    return _send(
        group_name(tenant_id),
        message,
        f"{event.name} for case {event.case_id} (tenant {tenant_id})",
    )


# Every change a panel shows: new cases, each transition, and the colour of a deadline.
PUSHED_EVENTS = (
    intake_events.CaseSubmitted,
    intake_events.CaseNeedsDispatch,
    intake_events.CaseAssigned,
    intake_events.CaseSignedFor,
    intake_events.CaseReturned,
    intake_events.CaseResolved,
    intake_events.CaseReopened,
    intake_events.CaseClosed,
    intake_events.CaseEscalated,
    routing_events.CaseDueSoon,
    routing_events.CaseOverdue,
)


@eventbus.subscribe(PUSHED_EVENTS, queue="dashboard", max_attempts=1)
def push_case(event: CaseEvent) -> None:
    announce(event)


@eventbus.subscribe(notify_events.StaffAlerted, queue="dashboard", max_attempts=1)
def push_staff_alert(event: notify_events.StaffAlerted) -> None:
    """Each alerted person's open screens show their own alert (督办提醒) at once."""
    for recipient in event.recipients:
        alert = {
            "id": recipient.alert_id,
            "kind": event.kind,
            "case_id": event.case_id,
            "text": event.text,
        }
        _send(
            user_group_name(recipient.user_id),
            {"type": ALERT_TYPE, "alert": alert},
            f"alert {alert['id']} (user {recipient.user_id})",
        )
