"""PostgreSQL connections that give up: a database that stops answering fails a request within
a bound the operator sets (DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT), with the 503
page a refused connection gets (config/edge.py), instead of hanging it for as long as it lasts.

Three bounds, because a silent database can be met at three points:
- connecting: libpq's connect_timeout (psycopg enforces it itself, handshake included);
- a statement the server runs too long: the server's statement_timeout cancels it cleanly and
  the connection stays usable;
- a server or network that swallows the query or its answer: no server-side setting can help,
  and TCP keepalives cannot either when something between still answers TCP (a proxy, a hung
  server). So psycopg's wait for an answer gets a deadline a little past statement_timeout;
  when it passes, the connection is closed (its state is unknown) and the pool replaces it.
"""

import re
from typing import Any

import psycopg
from django.conf import settings
from psycopg import errors

# The server's statement_timeout gets this long to arrive before the client stops waiting.
ANSWER_GRACE_SECONDS = 2.0
_STATEMENT_TIMEOUT_OPTION = re.compile(r"\s*-c\s*statement_timeout=\S+")


def answer_timeout(statement_timeout: float) -> float | None:
    """How long a query may go unanswered; None (forever) when statements are unbounded."""
    return statement_timeout + ANSWER_GRACE_SECONDS if statement_timeout > 0 else None


class BoundedWaitConnection(psycopg.Connection):
    """A psycopg connection whose waits for the server end after answer_timeout()."""

    def wait(self, gen, *args: Any, **kwargs: Any):
        explicit = len(args) >= 2 or "timeout" in kwargs  # psycopg's own bounded waits
        limit = answer_timeout(settings.DATABASE_STATEMENT_TIMEOUT)
        if explicit or limit is None:
            return super().wait(gen, *args, **kwargs)
        try:
            return super().wait(gen, *args, timeout=limit, **kwargs)  # type: ignore[misc]  # no timeout here (explicit)
        except errors._WaitTimeout as timeout:  # psycopg's own "wait timeout expired"
            self.pgconn.finish()  # half a conversation: nothing can be sent on it any more
            raise errors.OperationalError(
                f"the database did not answer within {limit:g}s "
                f"(DATABASE_STATEMENT_TIMEOUT={settings.DATABASE_STATEMENT_TIMEOUT:g}s + "
                f"{ANSWER_GRACE_SECONDS:g}s); connection closed"
            ) from timeout


def bounded(database: dict, connect_timeout: int, statement_timeout: float) -> dict:
    """`database` (a DATABASES entry for PostgreSQL, pooled) with the three bounds set."""
    options = database.setdefault("OPTIONS", {})
    options["connect_timeout"] = connect_timeout
    # Any other server options (from the URL) stay; a statement_timeout set before is replaced.
    others = _STATEMENT_TIMEOUT_OPTION.sub("", options.get("options", "")).strip()
    server_option = f"-c statement_timeout={round(statement_timeout * 1000)}"
    options["options"] = f"{others} {server_option}".strip()
    options.setdefault("pool", {})["connection_class"] = BoundedWaitConnection
    return database
