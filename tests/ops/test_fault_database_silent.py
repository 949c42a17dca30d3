"""A database that stops answering — packets dropped, not refused — must not hang requests:
they fail within the bound the operator set, with the same 503 page a refused connection gets,
and the site recovers when the database answers again (PostgreSQL only).

Between the web server (the Procfile's) and PostgreSQL sits a TCP proxy that can be told to
swallow everything while keeping every connection open: what a dead host behind a firewall,
a hung server or a broken network path look like from the application."""

import asyncio
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.builders import entry_token
from tests.ops_processes import (
    env_for_test_database,
    free_port,
    port_open,
    start_procfile_process,
    stop,
    wait_for,
)

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

STATEMENT_TIMEOUT = 1  # DATABASE_STATEMENT_TIMEOUT for the server under test, in seconds
CONNECT_TIMEOUT = 2  # DATABASE_CONNECT_TIMEOUT (libpq's smallest)
POOL_TIMEOUT = 2  # DB_POOL_TIMEOUT
BOUND = 15  # seconds a request may take to fail with all of the above; hanging is far longer


class SilentProxy:
    """Forwards TCP to PostgreSQL until black_hole(); then reads and drops every byte either
    way, never closing a connection, until forward() again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.forwarding = threading.Event()
        self.forwarding.set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.forwarding.is_set():
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _connection(self, client_reader, client_writer) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pump(client_reader, upstream_writer),
            self._pump(upstream_reader, client_writer),
        )

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", self.port), self.loop
        ).result(timeout=5)

    def black_hole(self) -> None:
        self.forwarding.clear()

    def forward(self) -> None:
        self.forwarding.set()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def _through(proxy: SilentProxy, database_url: str) -> str:
    parts = urlsplit(database_url)
    auth = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{auth}@127.0.0.1:{proxy.port}"))


def _get(url: str, timeout: float = 60) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        status, body = refused.code, refused.read().decode()
    return status, body, time.monotonic() - started


@pytest.mark.processes
@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_silent_database_fails_requests_within_the_bound_with_the_503_page(demo):
    db = connection.settings_dict
    proxy = SilentProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    env = env_for_test_database(
        DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT),
        DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        DB_POOL_TIMEOUT=str(POOL_TIMEOUT),
        RATELIMIT_ENABLE="0",
    )
    env["DATABASE_URL"] = _through(proxy, env["DATABASE_URL"])
    port = free_port()
    web = start_procfile_process("web", env=env, port=port)
    page = f"http://127.0.0.1:{port}/c/{entry_token(demo.pk, '欠薪')}/"
    try:
        wait_for(lambda: port_open(port) or web.poll() is not None, 60, "the web server")
        assert web.poll() is None, web.stderr.read()
        status, _body, _elapsed = _get(page)
        assert status == 200, "the form is served through the proxy"

        proxy.black_hole()
        status, body, elapsed = _get(page, timeout=BOUND * 3)
        assert status == 503, body[:300]
        assert "尚未提交成功" in body, "the page a refused connection gets"
        assert elapsed < BOUND, f"failed after {elapsed:.1f}s"

        proxy.forward()
        deadline = time.monotonic() + 30
        while (status := _get(page, timeout=BOUND * 3)[0]) != 200:
            assert time.monotonic() < deadline, f"still {status} after the database came back"
            time.sleep(0.5)
    finally:
        stop(web)
        proxy.close()


def test_the_bounds_keep_the_urls_own_server_options():
    import dj_database_url

    from config import database

    db = dj_database_url.parse("postgres://u@h:5432/d?options=-c%20search_path%3Dgz")
    database.bounded(db, connect_timeout=3, statement_timeout=2.5)
    database.bounded(db, connect_timeout=4, statement_timeout=5)  # set again: replaced
    assert db["OPTIONS"]["options"] == "-c search_path=gz -c statement_timeout=5000"
    assert db["OPTIONS"]["connect_timeout"] == 4
    assert db["OPTIONS"]["pool"]["connection_class"] is database.BoundedWaitConnection
    assert database.answer_timeout(0) is None
