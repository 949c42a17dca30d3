"""The developer loop's guarantees: a test starting a process is marked (`make test-fast`
skips those), and parallel workers do not share a database or a Redis key space."""

import os
import subprocess

import pytest
from django.conf import settings
from django.db import connection

from config import redis_connections


def test_an_unmarked_test_may_not_start_a_process():
    with pytest.raises(AssertionError, match=r"mark it @pytest.mark.processes"):
        subprocess.run(["true"], check=True)


@pytest.mark.processes
def test_a_marked_test_may():
    assert subprocess.run(["true"], check=True).returncode == 0


def test_a_redis_key_prefix_reaches_the_channel_layer_and_the_cache():
    url = "redis://127.0.0.1:6379/0"
    assert redis_connections.channel_layer(url, "gw1:")["CONFIG"]["prefix"] == "gw1:asgi"
    assert redis_connections.cache(url, "gw1:")["KEY_PREFIX"] == "gw1:"
    assert redis_connections.channel_layer(url)["CONFIG"]["prefix"] == "asgi"  # channels' own


@pytest.mark.django_db
def test_each_worker_has_its_own_database_and_key_space():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        pytest.skip("not running under pytest-xdist")
    assert str(connection.settings_dict["NAME"]).endswith(f"_{worker}")
    assert settings.REDIS_KEY_PREFIX.endswith(f"{worker}:")
