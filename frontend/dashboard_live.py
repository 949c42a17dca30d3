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

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "case.event"  # handled by DashboardConsumer.case_event


def may_watch(staff: directory.StaffInfo | None) -> bool:
    """The command-room screen, its socket and the monthly report (policy: WATCH_DASHBOARD)."""
    return directory.policy.can(staff, directory.Capability.WATCH_DASHBOARD)


def group_name(tenant_id: int) -> str:
    return f"dashboard.tenant.{int(tenant_id)}"


def layer_is_in_memory() -> bool:
    return settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer")


def announce(event: str, payload: dict) -> bool:
    """Sends the case's card to its tenant's screens; False if there was nothing to send.

    A screen that misses a push catches up by polling, so a channel-layer failure is logged,
    not retried (a retried push would arrive late and out of order).
    """
    tenant_id = payload["tenant_id"]
    cards = intake.case_cards(tenant_id, ids=[payload["case_id"]], limit=1)
    if not cards:
        return False
    message = {"type": MESSAGE_TYPE, "event": event, "case": cards[0].as_json()}
    try:
        async_to_sync(get_channel_layer().group_send)(group_name(tenant_id), message)
    except Exception:
        logger.warning(
            "Dashboard push of %s for case %s (tenant %s) failed; screens will poll",
            event,
            payload["case_id"],
            tenant_id,
            exc_info=True,
        )
        return False
    return True


@eventbus.subscribe("case.submitted", queue="dashboard", max_attempts=1)
def push_submitted(event: str, payload: dict) -> None:
    announce(event, payload)


@eventbus.subscribe("case.needs_dispatch", queue="dashboard", max_attempts=1)
def push_needs_dispatch(event: str, payload: dict) -> None:
    announce(event, payload)


@eventbus.subscribe("case.assigned", queue="dashboard", max_attempts=1)
def push_assigned(event: str, payload: dict) -> None:
    announce(event, payload)


@eventbus.subscribe("case.escalated", queue="dashboard", max_attempts=1)
def push_escalated(event: str, payload: dict) -> None:
    announce(event, payload)
