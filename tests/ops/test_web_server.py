"""The production web server (Procfile's web: line): several worker processes, and no log line
of it carries a citizen's credential (a survey token, a status key) or phone number."""

import http.client
import json
import subprocess

import pytest

from ops.server import web_concurrency
from tests.ops_processes import (
    env_for_test_database,
    free_port,
    start_web_server,
    wait_until_serving,
)

SURVEY_TOKEN = "Zq8vTtW3kP0xYs7LmN2bA"
PHONE = "13812345678"
REQUEST_ID = "6f1c2e3a9b1d4c2e8f0a064123457350"  # hex, with a run that looks like a landline


def _request(port: int, method: str, path: str, body: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"X-Request-ID": REQUEST_ID, "Host": "localhost"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_the_server_logs_requests_through_the_application_only(demo):
    port = free_port()
    env = env_for_test_database(
        LOG_FORMAT="json", WEB_CONCURRENCY="2", RATELIMIT_ENABLE="0", DEBUG="0"
    )
    env["PYTHONWARNINGS"] = "ignore"  # Python's warnings are not log lines
    server = start_web_server(
        port, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until_serving(port, server)
        assert server.poll() is None, server.stdout.read()
        assert _request(port, "GET", f"/v/{SURVEY_TOKEN}/") == 404
        assert _request(port, "GET", f"/s/{SURVEY_TOKEN}/?phone={PHONE}") == 404
        lookup = f"tracking_number=261124-03817&last_four={PHONE}"
        assert _request(port, "POST", f"/status/?phone={PHONE}", lookup) in {403, 404}
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)

    assert SURVEY_TOKEN not in output
    assert PHONE not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "ops.access"]
    # One line per request, from the application, naming the route and the caller's id intact.
    assert [(a["method"], a["route"], a["request_id"]) for a in access] == [
        ("GET", "v/<str:token>/", REQUEST_ID),
        ("GET", "s/<str:key>/", REQUEST_ID),
        ("POST", "status/", REQUEST_ID),
    ]
    # Django's own "Not Found: …" lines name the route, and the server writes JSON too.
    assert any(line["message"] == "Not Found: v/<str:token>/" for line in lines)
    assert all(line.startswith("{") for line in output.splitlines() if line.strip()), output


def test_worker_processes_follow_the_environment_and_the_cpu_limit(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("CPU_LIMIT", "2")
    assert web_concurrency() == 4
    monkeypatch.setenv("CPU_LIMIT", "1")
    assert web_concurrency() == 2
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert web_concurrency() == 3
