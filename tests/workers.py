"""A pytest plugin loaded before Django's settings (`-p tests.workers` in pyproject's addopts):
gives each pytest-xdist worker its own Redis key space.

pytest-django already gives each worker its own database (test_<name>_gw0, SQLite file
<SQLITE_TEST_PATH>_gw0), so tenant and case ids repeat across workers; a shared Redis would
then carry one worker's dashboard pushes, rate-limit counters and cached values to another.
REDIS_KEY_PREFIX (config/settings.py) keeps them apart, and servers a test starts inherit it.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")  # set by xdist before the worker starts pytest
if _worker:
    os.environ["REDIS_KEY_PREFIX"] = f"{os.environ.get('REDIS_KEY_PREFIX', '')}{_worker}:"
