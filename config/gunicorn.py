"""gunicorn's configuration (`gunicorn --config python:config.gunicorn config.asgi:application`).

Environment: PORT (8000), WEB_HOST (127.0.0.1; the image sets 0.0.0.0), WEB_CONCURRENCY
(worker processes; default two per core of CPU_LIMIT or of this machine), LOG_FORMAT and
LOG_LEVEL as for the application. See ops/server.py.
"""

import os

from ops.logs import logging_config
from ops.server import web_concurrency

bind = [f"{os.environ.get('WEB_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
workers = web_concurrency()
worker_class = "ops.server.Worker"
# Every process imports the application itself: a worker that dies is replaced by a fresh one,
# and nothing (database pools, Redis connections) is shared across a fork.
preload_app = False
# The server's raw access log stays off; the application logs every request, masked.
accesslog = None
# The server's own lines (workers booting, a worker killed) through the application's handler:
# the same JSON lines, the same phone-number filter.
logconfig_dict = {
    **logging_config(os.environ.get("LOG_FORMAT", "text"), os.environ.get("LOG_LEVEL", "INFO")),
    "loggers": {
        "gunicorn.error": {"handlers": [], "propagate": True},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}
# No control socket: nothing manages the server at run time (and the image's root is read-only).
control_socket_disable = True
# k8s stops a pod with SIGTERM after its preStop pause: requests in flight get this long.
graceful_timeout = 20
# Behind the ingress's keep-alive connections.
keepalive = 5
