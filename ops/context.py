"""The log context of the current request or task: a request id and the task being run.

Context variables, so that concurrent requests on one ASGI server (and the thread that runs a
sync view) each see their own. Plain stdlib: the event bus imports this module to carry the
request id into the tasks a request enqueued, so it must not pull in anything else of ops.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="")
task_id: ContextVar[str] = ContextVar("task_id", default="")
task_name: ContextVar[str] = ContextVar("task_name", default="")
# The path being served: log lines quoting it are rewritten to its route (ops.logs), since a
# path can be a citizen's credential (a status key, a survey token).
request_path: ContextVar[str] = ContextVar("request_path", default="")

# What we accept from a client or a proxy (ingress-nginx sends 32 hex digits): anything else
# would let a caller write arbitrary text into every log line of the request.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(incoming: str | None) -> str:
    """The caller's id when it is safe to log, else a new one."""
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str:
    return request_id.get()


@contextmanager
def bound_request_id(value: str) -> Iterator[None]:
    """Runs the block with `value` as the request id (a no-op for an empty value)."""
    if not value:
        yield
        return
    token = request_id.set(value)
    try:
        yield
    finally:
        request_id.reset(token)
