"""The command-room websocket, through the real ASGI application (session auth, origin
check, URL routing) with Channels' WebsocketCommunicator: who may connect, and a citizen's
submission reaching the connected screens of its own county only."""

import pytest
from asgiref.sync import sync_to_async

from tests.builders import build_county
from tests.helpers import connect, session_cookie
from tests.helpers import run_worker_in_thread as run_worker

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@sync_to_async
def two_counties():
    return (
        build_county("county-a", "甲县", "+8610690000001"),
        build_county("county-b", "乙县", "+8610690000002"),
    )


async def test_strangers_other_roles_and_other_counties_are_refused():
    a, b = await two_counties()
    cases = [
        (None, a, "no session"),
        (await session_cookie(a, "labour"), a, "department staff"),
        (await session_cookie(a, "desk"), a, "reception desk"),
        (await session_cookie(b, "dispatcher"), a, "another county's dispatcher"),
        (await session_cookie(b, "admin"), a, "another county's administrator"),
    ]
    for cookie, county, who in cases:
        communicator, connected = await connect(county.tenant.pk, cookie)
        assert not connected, who
        await communicator.disconnect()


async def test_a_socket_from_another_site_is_refused_even_with_a_valid_session():
    a, _b = await two_counties()
    cookie = await session_cookie(a, "dispatcher")
    communicator, connected = await connect(
        a.tenant.pk, cookie, origin=(b"origin", b"https://evil.example")
    )
    assert not connected
    await communicator.disconnect()


async def test_a_submission_reaches_its_countys_screens_and_no_other():
    a, b = await two_counties()
    screen_a, ok_a = await connect(a.tenant.pk, await session_cookie(a, "dispatcher"))
    admin_a, ok_admin = await connect(a.tenant.pk, await session_cookie(a, "admin"))
    screen_b, ok_b = await connect(b.tenant.pk, await session_cookie(b, "dispatcher"))
    assert ok_a and ok_admin and ok_b

    case_id = await sync_to_async(a.submit)(description="<b>夜里</b>水泵太吵")
    await run_worker("dashboard")  # the worker that pushes to the group

    for screen in (screen_a, admin_a):
        message = await screen.receive_json_from(timeout=5)
        assert message["event"] == "case.submitted"
        assert message["case"]["id"] == case_id
        assert message["case"]["excerpt"] == "<b>夜里</b>水泵太吵"  # as data; the page sets text
        assert message["case"]["phone"] == "138****5678"
    assert await screen_b.receive_nothing(timeout=0.5)

    # Routing assigns it: the screens hear that too.
    await run_worker("routing")
    await run_worker("dashboard")
    message = await screen_a.receive_json_from(timeout=5)
    assert (message["event"], message["case"]["state"]) == ("case.assigned", "assigned")
    assert await screen_b.receive_nothing(timeout=0.5)

    for screen in (screen_a, admin_a, screen_b):
        await screen.disconnect()


async def test_what_a_screen_sends_is_ignored():
    a, _b = await two_counties()
    screen, connected = await connect(a.tenant.pk, await session_cookie(a, "dispatcher"))
    assert connected
    await screen.send_json_to({"type": "case.event", "event": "x", "case": {"id": 1}})
    assert await screen.receive_nothing(timeout=0.3)
    await screen.disconnect()
