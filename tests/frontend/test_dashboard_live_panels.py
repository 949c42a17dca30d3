"""The command-room screen follows every change, not only new cases: sign-for, resolve and a
deadline's colour reach the connected screens over the websocket, pushed by the dashboard worker
from the real producers' events, and the panels the page then re-fetches show the change.
Staff alerts (督办提醒) reach the alerted person's own screen only."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.utils import timezone
from django_scopes import scopes_disabled

from services.intake import api as intake
from services.routing.escalation import escalate_overdue, warn_due_soon
from services.routing.models import CaseDeadline
from tests.builders import build_county
from tests.helpers import connect, session_cookie
from tests.helpers import run_worker_in_thread as run_worker

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def routed_case(county) -> int:
    case_id = await sync_to_async(county.submit)()
    await run_worker("routing")
    await run_worker("deadlines")
    return case_id


@sync_to_async
def take(county, case_id: int, name: str, role: str = "labour", **changes) -> None:
    intake.take_transition(case_id, name, county.user(role), **changes)


@sync_to_async
def panel(county, list_id: str, at) -> str:
    """One list of the panels the page re-fetches, as the screen would load it at `at`."""
    with time_machine.travel(at, tick=False):
        html = county.client("dispatcher").get("/dashboard/panels/").content.decode()
    return html.split(f'id="{list_id}"')[1].split("</ol>")[0]


@sync_to_async
def deadline(case_id: int) -> CaseDeadline:
    with scopes_disabled():
        return CaseDeadline.objects.get(case_id=case_id, current=True)


async def everything_sent_to(screen, first_within: float = 10) -> list[dict]:
    """What the screen was sent: the first message may take a while through Redis on a busy
    machine (a worker's push crosses processes); after it, a quiet second ends the list."""
    messages: list[dict] = []
    if await screen.receive_nothing(timeout=first_within):
        return messages
    while True:
        messages.append(await screen.receive_json_from())
        if await screen.receive_nothing(timeout=1):
            return messages


async def next_event(screen, case_id: int) -> dict:
    message = await screen.receive_json_from(timeout=5)
    assert message["case"]["id"] == case_id, message
    return message


async def test_sign_for_resolve_and_colour_changes_reach_the_screen_and_its_panels():
    a = await sync_to_async(build_county)("county-a", "甲县", "+8610690000001")
    screen, connected = await connect(a.tenant.pk, await session_cookie(a, "dispatcher"))
    assert connected
    case_id = await routed_case(a)
    await run_worker("dashboard")
    while (await screen.receive_json_from(timeout=5))["event"] != "case.assigned":
        pass  # the submission and the assignment
    tracking_number = (await sync_to_async(intake.get_case)(case_id)).tracking_number

    # A deadline turning yellow (临期) is pushed, and the yellow panel then lists the case.
    soon = (await deadline(case_id)).sign_warn_at + timedelta(minutes=1)
    assert await sync_to_async(warn_due_soon)(soon) == 1
    await run_worker("dashboard")
    assert (await next_event(screen, case_id))["event"] == "case.due_soon"
    assert tracking_number in await panel(a, "yellow-list", soon)

    await take(a, case_id, "sign_for")
    await run_worker("dashboard")
    message = await next_event(screen, case_id)
    assert (message["event"], message["case"]["state"]) == ("case.signed_for", "in_progress")

    # Red (超期): escalated once, pushed, listed in red.
    late = (await deadline(case_id)).resolve_due + timedelta(minutes=1)
    assert await sync_to_async(escalate_overdue)(late) == 1
    await run_worker("dashboard")
    events = set()
    for _ in range(2):  # overdue, and the escalation it marks
        events.add((await next_event(screen, case_id))["event"])
    assert "case.overdue" in events
    assert tracking_number in await panel(a, "red-list", late)

    await take(a, case_id, "resolve", note="已结清", result="已结清")
    await run_worker("deadlines")  # the red list reads routing's record of the resolution
    await run_worker("dashboard")
    message = await next_event(screen, case_id)
    assert (message["event"], message["case"]["state"]) == ("case.resolved", "resolved")
    assert tracking_number not in await panel(a, "red-list", late)

    await screen.disconnect()


async def test_an_alert_reaches_the_alerted_persons_screen_only():
    a = await sync_to_async(build_county)("county-a", "甲县", "+8610690000001")
    dispatcher, ok_d = await connect(a.tenant.pk, await session_cookie(a, "dispatcher"))
    admin, ok_a = await connect(a.tenant.pk, await session_cookie(a, "admin"))
    assert ok_d and ok_a
    case_id = await routed_case(a)
    await sync_to_async(escalate_overdue)(timezone.now() + timedelta(days=30))
    await run_worker("notify")  # the producer of alerts
    await run_worker("dashboard")

    received = await everything_sent_to(dispatcher)
    alerts = [m["alert"] for m in received if m["event"] == "staff.alerted"]
    assert alerts, received
    assert {(alert["case_id"], alert["kind"]) for alert in alerts} <= {
        (case_id, "overdue"),
        (case_id, "escalated"),
    }
    admin_messages = await everything_sent_to(admin)
    assert [m for m in admin_messages if m["event"] == "staff.alerted"] == [], "not alerted"
    for screen in (dispatcher, admin):
        await screen.disconnect()
