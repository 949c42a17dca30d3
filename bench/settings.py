"""The production settings plus one bare endpoint, for the benchmarks' ASGI server only.

Rate limits stay in the path (their counters cost a cache round trip per request, as in
production) but with limits no benchmark reaches: every client here is 127.0.0.1.
"""

from config.settings import *  # noqa: F403
from config.settings import RATE_LIMITS as _PRODUCTION_RATE_LIMITS

ROOT_URLCONF = "bench.urls"
RATE_LIMITS = {
    view: {
        method: [f"{spec.split(':')[0]}:1000000/h" for spec in specs]
        for method, specs in methods.items()
    }
    for view, methods in _PRODUCTION_RATE_LIMITS.items()
}
