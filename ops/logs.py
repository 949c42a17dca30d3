"""Log records carry the request id and the running task; JSON lines for log collectors.

`LOG_FORMAT=json` (what the k8s manifests set) writes one JSON object per line, with the request
id that ties a web request to every task it caused; the default stays readable text.
"""

import logging

from pythonjsonlogger.json import JsonFormatter

from . import context


class ContextFilter(logging.Filter):
    """Adds request_id, task_id and task to every record passing through the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, task_id = context.request_id.get(), context.task_id.get()
        record.request_id, record.task_id = request_id, task_id
        record.task = context.task_name.get()
        pairs = [
            f"{key}={value}"
            for key, value in (("request_id", request_id), ("task_id", task_id))
            if value
        ]
        record.context = f" [{' '.join(pairs)}]" if pairs else ""
        return True


def _route_of(path: str) -> str:
    from django.urls import Resolver404, resolve

    try:
        return resolve(path).route
    except Resolver404:
        return "<unmatched>"


class RequestPathFilter(logging.Filter):
    """A log line never quotes the path being served, only its route (s/<str:key>/).

    A path can be a citizen's credential: the status link's key, the survey link's token.
    Django's own lines ("Not Found: /v/…/"), and any line of the request that quotes its path,
    name the route instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", "") or context.request_path.get()
        if not path or path == "/":
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as it would
            return True
        if path in message:
            record.msg, record.args = message.replace(path, _route_of(path)), None
        return True


JSON_FORMAT = "%(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task)s"


class JsonLogFormatter(JsonFormatter):
    """python-json-logger with the context fields left out when they are empty."""

    def __init__(self, *args, **kwargs) -> None:
        if not args:
            kwargs.setdefault("fmt", JSON_FORMAT)
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record.pop("context", None)  # the text format's rendering of the same fields
        # Django's request lines attach the request itself, whose repr holds the whole path.
        log_record.pop("request", None)
        log_record.pop("color_message", None)  # uvicorn's terminal rendering of the message
        for key in ("request_id", "task_id", "task"):
            if not log_record.get(key):
                log_record.pop(key, None)


# Text stays the bare message it always was (what `make run` and tests print); the context
# (request id, task) is in the JSON lines, and in `%(context)s` for a format that wants it.
TEXT_FORMAT = "%(message)s"


def logging_config(fmt: str, level: str) -> dict:
    """The LOGGING setting: `fmt` is "json" or "text"."""
    if fmt not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be json or text, not {fmt!r}")
    formatter = {"()": "ops.logs.JsonLogFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "ops.logs.ContextFilter"},
            "paths": {"()": "ops.logs.RequestPathFilter"},
            # Safety net: a citizen's number a log line forgot to mask is masked here.
            "phones": {"()": "services.privacy.PhoneMaskingFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context", "paths", "phones"],
                "formatter": "default",
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
