"""Helpers shared by tests: acting (signed webhooks, the admin's buttons, a browser login,
the workers), reading back what was stored, and the constants tests share."""

import html
import os
import re
from pathlib import Path

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult
from twilio.request_validator import RequestValidator

from services.notify.models import Survey

# The repository (manage.py, Procfile, k8s/): test modules may live at any depth below tests/.
ROOT = Path(__file__).resolve().parent.parent
# The password of every staff member the builders create.
PASSWORD = "staff-test-password"
CITIZEN = "+8613812345678"
TENANT_NUMBER = "+8610690012345"  # the demo tenant's sending number
TWILIO_TEST_TOKEN = "test-twilio-auth-token"


def case(case_id: int):
    with scopes_disabled():
        return case_model().objects.select_related("scenario").get(pk=case_id)


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def db_snapshot() -> tuple[int, ...]:
    """Row counts of everything a submission writes."""
    from services.intake.models import Case, CaseEvent, CasePhoto, EntryPointScan

    with scopes_disabled():
        return (
            Case.objects.count(),
            CaseEvent.objects.count(),
            CasePhoto.objects.count(),
            DBTaskResult.objects.count(),
            EntryPointScan.objects.count(),
        )


def case_now(case):
    with scopes_disabled():
        return case_model().objects.get(pk=case.id)


def survey_of(case, round_: int = 0) -> Survey:
    with scopes_disabled():
        return Survey.objects.get(case_id=case.id, round=round_)


_sids = iter(range(1, 10_000))


def reply(client, body: str, *, sender: str = CITIZEN, to: str = TENANT_NUMBER, sid=None):
    sid = sid or f"SMreply{next(_sids):06d}"
    params = {"MessageSid": sid, "From": sender, "To": to, "Body": body, "NumMedia": "0"}
    return post_signed(client, "/sms/inbound/", params)


def sms_to(outbox: list[dict], phone: str = CITIZEN) -> list[str]:
    return [m["body"] for m in outbox if m["to"] == phone]


def timeline_notes(case) -> list[tuple[str, str]]:
    return [(e.action, e.note_text) for e in case_now(case).timeline.all()]


def run_scheduler_once() -> None:
    call_command("scheduler", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ADD_URL = "/admin/routing/routingrule/add/"


def log_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/admin/$"))


@sync_to_async
def session_cookie(county, role: str) -> bytes:
    client = Client()
    client.force_login(county.user(role))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


@sync_to_async
def run_worker_in_thread(queue: str) -> None:
    """The real database worker's loop, until its queue is empty. Run in a thread (the test's
    event loop holds the main one), so without the command's signal handlers."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=[queue],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="dashboard-test",
        excluded_queue_names=[],
    ).run()


ORIGIN = (b"origin", b"http://testserver")


async def connect(tenant_id: int, cookie: bytes | None = None, origin=ORIGIN):
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", cookie))
    from config.asgi import application  # the whole ASGI stack: only for socket tests

    communicator = WebsocketCommunicator(application, f"/ws/dashboard/{tenant_id}/", headers)
    connected, _code = await communicator.connect(timeout=5)
    return communicator, connected


MESSAGE = re.compile(r'<li class="(?:success|error|warning|info)">(.*?)</li>', re.S)


def press(client, case_obj, name: str, **data):
    fresh = case(case_obj.pk)
    data.setdefault("version", fresh.updated_at.isoformat())
    url = reverse("admin:intake_case_transition", args=[case_obj.pk, name])
    response = client.post(url, data, follow=True)  # the case page shows (and uses up) messages
    assert response.redirect_chain[0] == (
        reverse("admin:intake_case_change", args=[case_obj.pk]),
        302,
    )
    # Read from the page itself: the test client's captured context is shared between threads.
    return [html.unescape(m) for m in MESSAGE.findall(response.content.decode())]


def run_worker(*queues: str) -> None:
    """Runs the real database worker over `queues` until nothing is ready, then returns."""
    call_command(
        "db_worker",
        "--queue-name",
        ",".join(queues),
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        verbosity=0,
    )


def post_signed(
    client: Client,
    path: str,
    params: dict,
    *,
    token: str = TWILIO_TEST_TOKEN,
    signature: str | None = None,
):
    """POSTs like Twilio does: form-encoded, signed over the full URL and the parameters."""
    url = f"http://testserver{path}"
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def case_model():
    """Tests may read intake's tables directly to assert what was stored."""
    from services.intake.models import Case

    return Case


def all_cases() -> list:
    with scopes_disabled():
        return list(case_model().objects.all())


def case_page(client, case_obj) -> str:
    """The admin's page of the case, as `client` sees it (asserting it is shown)."""
    response = client.get(reverse("admin:intake_case_change", args=[case_obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


# Each visible text on the page with its rendered font size (px) and its element's classes:
# what a wall screen or a phone makes of our type.
MEASURE = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const size = el instanceof SVGTextElement
      ? box.height
      : parseFloat(getComputedStyle(el).fontSize);
    out.push({tag: el.tagName.toLowerCase(), cls: el.getAttribute("class") || "",
              text: el.textContent.trim().slice(0, 20), size});
  }
  return out;
}"""
