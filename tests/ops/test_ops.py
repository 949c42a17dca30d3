"""Operating it: probes, metrics, request ids in logs and tasks, production settings."""

import http.client
import io
import json
import logging
import os
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.db.utils import load_backend
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from ops import context, health
from ops import metrics as ops_metrics
from ops.logs import ContextFilter, JsonLogFormatter
from services.routing import api as routing_api
from tests.builders import entry_token, wage_arrears_form
from tests.ops_processes import (
    env_for_test_database,
    free_port,
    manage,
    start_web_server,
    wait_until_serving,
)

POD_IP_HOST = "10.42.0.17:8000"  # how the kubelet and Prometheus address a pod


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch):
    monkeypatch.setattr(ops_metrics.STATE, "ttl", 0)  # read the state on every scrape


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_HOST=POD_IP_HOST, **headers)
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


# --- probes ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_probes_answer_a_pod_ip_over_plain_http_that_pages_refuse(client, settings):
    settings.ALLOWED_HOSTS = ["gongzhima.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST=POD_IP_HOST).status_code == 200
    assert client.get("/readyz", HTTP_HOST=POD_IP_HOST).status_code == 200
    assert client.get("/", HTTP_HOST=POD_IP_HOST).status_code == 400
    page = client.get("/", HTTP_HOST="gongzhima.example.org")
    assert page.status_code == 301 and page["Location"].startswith("https://")


@pytest.mark.django_db
def test_readiness_names_each_dependency(client):
    body = client.get("/readyz").json()
    expected_redis = "ok" if os.environ.get("REDIS_URL") else "not configured"
    assert body == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": expected_redis},
    }


DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.mark.django_db
def test_unreachable_redis_leaves_the_pod_ready_and_says_it_is_degraded(client, settings, caplog):
    """The site serves without Redis (limits fail open, the dashboard polls): pulling every
    web pod out of the Service for it would turn a degraded site into no site."""
    settings.REDIS_URL = DEAD_REDIS
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "unavailable (ConnectionError)",
        },
    }
    assert "Redis at 127.0.0.1:1 db 0 unavailable" in caplog.text


@pytest.mark.django_db
def test_metrics_show_each_dependency_up_or_down(client, settings):
    settings.REDIS_URL = DEAD_REDIS
    samples = scrape(client)
    up = "gongzhima_dependency_up"
    assert samples[(up, (("dependency", "database"), ("required", "true")))] == 1
    assert samples[(up, (("dependency", "redis"), ("required", "false")))] == 0
    settings.REDIS_URL = ""
    assert (up, (("dependency", "redis"), ("required", "false"))) not in scrape(client)


@pytest.mark.django_db
def test_an_unreachable_database_fails_the_database_check(tmp_path):
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        settings_dict["NAME"] = "ops_no_such_database"
    else:
        settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    broken = connections["default"].__class__(settings_dict, alias="ops_broken")
    try:
        result = health.check_database(broken)
    finally:
        broken.close()
        if hasattr(broken, "close_pool"):
            broken.close_pool()
    assert result == health.CheckResult("database", False, "unavailable (OperationalError)")


@pytest.mark.django_db
def test_a_database_without_this_codes_migrations_is_not_ready(tmp_path):
    sqlite = load_backend("django.db.backends.sqlite3")
    empty = sqlite.DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "empty.sqlite3"), "OPTIONS": {}},
        alias="ops_empty",
    )
    try:
        result = health.check_migrations(empty)
    finally:
        empty.close()
    assert not result.ok and result.detail.endswith("pending")
    assert health.check_migrations().ok, "the test database has them all"


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_wait_for_migrations_passes_on_a_migrated_database_and_names_what_is_missing(tmp_path):
    assert (
        manage("wait_for_migrations", "--timeout", "5", env=env_for_test_database()).returncode == 0
    )
    empty = env_for_test_database(SQLITE_PATH=str(tmp_path / "empty.sqlite3"))
    empty.pop("DATABASE_URL", None)
    result = manage("wait_for_migrations", "--timeout", "0", env=empty)
    assert result.returncode == 1
    assert "not applied" in result.stderr and "contenttypes.0001_initial" in result.stderr


# --- metrics ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_metrics_count_submissions_queues_and_requests(demo, client, drain):
    with scopes_disabled():
        routing_api.create_deadline_policy(
            demo,
            "两小时签收",
            sign_for=(2, routing_api.TimeUnit.HOURS),
            resolve=(5, routing_api.TimeUnit.DAYS),
            is_default=True,
        )
    before = scrape(client)
    routing = ("gongzhima_task_queue_ready", (("queue", "routing"),))
    response = client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    assert response.status_code == 302

    after = scrape(client)
    cases = (
        "gongzhima_cases_submitted_total",
        (("scenario", "wage_arrears"), ("tenant", demo.slug)),
    )
    assert after[cases] == before.get(cases, 0) + 1
    assert after[routing] == before[routing] + 1
    assert after[("gongzhima_task_queue_oldest_ready_age_seconds", (("queue", "routing"),))] >= 0
    requests = (
        "gongzhima_http_requests_total",
        (("method", "POST"), ("route", "c/<str:token>/"), ("status", "302")),
    )
    assert after[requests] == before.get(requests, 0) + 1
    assert after[("gongzhima_system_state_up", ())] == 1

    drain("routing", "deadlines")  # assigned, then its sign-for deadline starts running
    routed = scrape(client)
    assert routed[routing] == 0
    overdue = ("gongzhima_cases_overdue", (("tenant", demo.slug),))
    assert routed[overdue] == before.get(overdue, 0)
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert scrape(client)[overdue] == routed[overdue] + 1

    def sms(samples: dict) -> float:
        return sum(
            value
            for (name, labels), value in samples.items()
            if name == "gongzhima_sms_messages" and ("tenant", demo.slug) in labels
        )

    drain("notify")  # the receipt SMS to the reporter, at least
    assert sms(scrape(client)) > sms(before)


@pytest.mark.django_db
def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-token-for-tests"
    assert client.get("/metrics", HTTP_HOST=POD_IP_HOST).status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", HTTP_HOST=POD_IP_HOST)
    assert wrong.status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")


# --- request ids and JSON logs ---------------------------------------------------------------


@pytest.fixture
def json_log():
    """The root logger's lines as the JSON formatter writes them, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.mark.django_db(transaction=True)
def test_the_request_id_follows_a_submission_into_every_task_it_caused(
    demo, client, drain, json_log
):
    response = client.post(
        f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form(), HTTP_X_REQUEST_ID="req-7f3a"
    )
    assert response["X-Request-ID"] == "req-7f3a"
    submitted = DBTaskResult.objects.filter(queue_name="routing").get()
    assert submitted.args_kwargs["kwargs"] == {"request_id": "req-7f3a"}

    drain("routing")  # routes the case, which publishes case.assigned from inside the task
    caused_by_the_worker = [
        t for t in DBTaskResult.objects.all() if t.args_kwargs["args"][0] == "case.assigned"
    ]
    assert caused_by_the_worker, "routing published no case.assigned"
    assert all(
        t.args_kwargs["kwargs"].get("request_id") == "req-7f3a" for t in caused_by_the_worker
    )

    lines = json_log()
    access = [line for line in lines if line["logger"] == "ops.access"]
    assert access and access[0]["request_id"] == "req-7f3a"
    assert access[0]["route"] == "c/<str:token>/" and access[0]["status"] == 302
    task_lines = [line for line in lines if line.get("task_id")]
    assert task_lines, "the worker logged nothing with its task id"
    routing_lines = [line for line in task_lines if line["task_id"] == str(submitted.id)]
    assert routing_lines and all(line["request_id"] == "req-7f3a" for line in routing_lines)


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client):
    response = client.get("/", HTTP_X_REQUEST_ID="x\ninjected log line")
    assert response["X-Request-ID"] != "x\ninjected log line"
    assert len(response["X-Request-ID"]) == 32


def test_json_lines_carry_the_context_only_when_there_is_one(json_log):
    logger = logging.getLogger("tests.ops")
    logger.info("outside")
    with context.bound_request_id("req-1"):
        logger.warning("inside %s", "a request")
    outside, inside = json_log()
    assert outside["message"] == "outside" and "request_id" not in outside
    assert inside["message"] == "inside a request"
    assert inside["request_id"] == "req-1" and inside["level"] == "WARNING"
    assert inside["logger"] == "tests.ops" and "timestamp" in inside


# --- production settings ---------------------------------------------------------------------

PRODUCTION = {
    "DEBUG": "0",
    "ALLOW_INSECURE_DEFAULTS": "0",
    "SECRET_KEY": "a-test-only-production-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "gongzhima.example.org",
    "BEHIND_TLS_PROXY": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "LOG_FORMAT": "json",
}


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_production_settings_pass_the_deploy_check_and_debug_does_not():
    """Django's security checks for deployment, every warning an error."""
    deploy_check = ("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    ok = manage(*deploy_check, env=env_for_test_database(**PRODUCTION))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    debug = manage(*deploy_check, env=env_for_test_database(**{**PRODUCTION, "DEBUG": "1"}))
    assert debug.returncode != 0 and "security.W018" in debug.stdout + debug.stderr


@pytest.mark.processes
def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env={**os.environ, "SECRET_KEY": "", **env})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


@pytest.mark.processes
def test_a_real_server_stays_live_but_unready_while_its_database_is_down(tmp_path):
    """The web server as in k8s/, production settings, a database that cannot be opened."""
    port = free_port()
    env = {
        **os.environ,
        **PRODUCTION,
        "SQLITE_PATH": str(tmp_path / "no-such-dir" / "db.sqlite3"),
        "REDIS_URL": "",
    }
    env.pop("DATABASE_URL", None)
    server = start_web_server(
        port, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until_serving(port, server)
        assert server.poll() is None, server.stderr.read()

        def get(path: str, host: str = POD_IP_HOST) -> tuple[int, bytes, http.client.HTTPMessage]:
            # http.client follows no redirect: the HTTPS one below must not leave this machine.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            try:
                conn.request("GET", path, headers={"Host": host})
                response = conn.getresponse()
                return response.status, response.read(), response.headers  # any case
            finally:
                conn.close()

        assert get("/healthz")[0] == 200
        status, body, _ = get("/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["database"] == "unavailable (OperationalError)"
        status, _, headers = get("/", host="gongzhima.example.org")
        assert status == 301 and headers["Location"].startswith("https://gongzhima.example.org/")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
