"""The command-room socket stays open on Redis: a screen idle for longer than Redis's read
timeouts still gets the next push (redis-py 8's default 5 s socket timeout used to end the
channel layer's blocking read, and the socket with it, every 5-6 s: close code 1011).

Twice: in-process through the ASGI application, and against the real web server the Procfile
runs, holding the socket for 30 s."""

import asyncio
import json
import time

import aiohttp
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.test import Client

from config import redis_connections
from frontend.dashboard_live import MESSAGE_TYPE, group_name
from tests.builders import build_county
from tests.ops_processes import (
    env_for_test_database,
    free_port,
    port_open,
    redis_url,
    start_procfile_process,
    stop,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 30
IN_PROCESS_HOLD_SECONDS = 12  # past two of the old 5 s timeouts; the server test holds 30 s
CARD = {"id": 1, "tracking_number": "WL-TEST-0001", "excerpt": "水泵夜间噪声"}


PUSH = {"type": MESSAGE_TYPE, "event": "case.submitted", "case": CARD}


def _session_cookie(county) -> str:
    client = Client()
    client.force_login(county.user("dispatcher"))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": redis_connections.channel_layer(redis_url(), settings.REDIS_KEY_PREFIX)
    }


@pytest.mark.asyncio
async def test_an_idle_socket_in_process_outlives_the_redis_read_timeout(redis_layer):
    from config.asgi import application

    county = await sync_to_async(build_county)("county-a", "甲县", "+8610690000001")
    cookie = await sync_to_async(_session_cookie)(county)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/dashboard/{county.tenant.pk}/",
        [(b"origin", b"http://testserver"), (b"cookie", cookie.encode())],
    )
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    try:
        assert await communicator.receive_nothing(timeout=IN_PROCESS_HOLD_SECONDS, interval=0.5)
        await get_channel_layer().group_send(group_name(county.tenant.pk), PUSH)
        assert await communicator.receive_json_from(timeout=5) == {
            "event": "case.submitted",
            "case": CARD,
        }
    finally:
        await communicator.disconnect()


async def _hold_then_receive(url: str, origin: str, cookie: str, push) -> dict:
    """Opens the socket, expects nothing but the server's pings for HOLD_SECONDS (no close),
    then the push. Pings are answered here: aiohttp's own answering would restart its
    receive timeout on every ping, so the hold would never end."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            url, headers={"Origin": origin, "Cookie": cookie}, autoping=False
        ) as socket,
    ):
        deadline = time.monotonic() + HOLD_SECONDS
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = await socket.receive(timeout=remaining)
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.PING:
                await socket.pong(message.data)
                continue
            raise AssertionError(f"the socket did not stay open quietly: {message!r}")
        await push()
        message = await socket.receive(timeout=10)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        return json.loads(message.data)


@pytest.mark.processes
def test_the_real_server_keeps_an_idle_socket_open_for_30_s_on_redis():
    url = redis_url()
    county = build_county("county-a", "甲县", "+8610690000001")
    cookie = _session_cookie(county)
    port = free_port()
    web = start_procfile_process(
        "web", env=env_for_test_database(REDIS_URL=url, RATELIMIT_ENABLE="0"), port=port
    )

    async def push() -> None:
        layer = RedisChannelLayer(
            **redis_connections.channel_layer(url, settings.REDIS_KEY_PREFIX)["CONFIG"]
        )
        await layer.group_send(group_name(county.tenant.pk), PUSH)
        await layer.close_pools()

    try:
        wait_for(lambda: port_open(port) or web.poll() is not None, 60, "the web server")
        assert web.poll() is None, web.stderr.read()
        base = f"127.0.0.1:{port}"
        received = asyncio.run(
            _hold_then_receive(
                f"ws://{base}/ws/dashboard/{county.tenant.pk}/", f"http://{base}", cookie, push
            )
        )
        assert received == {"event": "case.submitted", "case": CARD}
    finally:
        stop(web)
