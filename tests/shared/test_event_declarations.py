"""Typed events: declared once by their publisher, checked when published, named by class when
subscribed; a subscription to an event nobody publishes fails `manage.py check`."""

import math
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from services import eventbus
from services.eventbus import catalogue, checks
from services.eventbus.catalogue import with_table
from services.eventbus.declarations import forget
from services.intake import events as intake_events
from services.intake.events import CaseEscalated, CaseSubmitted
from services.notify.events import AlertRecipient, StaffAlerted


class Probe(eventbus.Event, name="test.probe"):
    """A throwaway event, declared by the test (so by no service)."""

    count: int
    ratio: float = 0.0
    note: str | None = None


def test_an_event_is_checked_when_made():
    with pytest.raises(TypeError, match="case_id"):
        CaseSubmitted(tenant_id=1)  # a required field missing
    with pytest.raises(TypeError, match=r"case\.submitted\.case_id must be int"):
        CaseSubmitted(tenant_id=1, case_id="7")
    with pytest.raises(TypeError, match="must be int"):
        CaseSubmitted(tenant_id=1, case_id=True)  # a bool is no id
    with pytest.raises(TypeError, match=r"recipients\b"):
        StaffAlerted(tenant_id=1, case_id=1, kind="overdue", text="x", recipients=[1])
    with pytest.raises(AttributeError):
        CaseSubmitted(tenant_id=1, case_id=1).case_id = 2  # frozen


def test_a_declaration_of_a_type_json_cannot_carry_is_refused_at_import():
    with pytest.raises(TypeError, match="not a type an event may carry"):

        class Bad(eventbus.Event, name="test.bad"):
            where: set[int]

    assert eventbus.declaration("test.bad") is None


def test_one_name_is_declared_once():
    with pytest.raises(TypeError, match="declared twice"):

        class AnotherSubmitted(eventbus.Event, name="case.submitted"):
            case_id: int


def test_publish_takes_declared_events_only(demo):
    with pytest.raises(TypeError):
        eventbus.publish("case.submitted", {"case_id": 1, "tenant_id": demo.pk})
    with pytest.raises(TypeError, match=r"eventbus\.Event"):
        eventbus.publish({"name": "case.submitted", "case_id": 1, "tenant_id": demo.pk})
    with pytest.raises(TypeError, match="not an event"):
        intake_events.CaseChanged(tenant_id=demo.pk, case_id=1)  # shared fields, no name
    with pytest.raises(TypeError, match="JSON"):
        eventbus.publish(Probe(tenant_id=demo.pk, count=1, ratio=math.nan))


def test_subscribing_names_the_declaration_so_a_misspelling_fails_at_import():
    with pytest.raises(TypeError, match="event declarations"):
        eventbus.subscribe("case.submitted", queue="default")
    with pytest.raises(AttributeError):
        eventbus.subscribe(intake_events.CaseSubmited, queue="default")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="shared fields"):
        eventbus.subscribe(intake_events.CaseChanged, queue="default")


def test_an_event_survives_its_round_trip_through_the_task_row():
    at = timezone.now()
    alerted = StaffAlerted(
        tenant_id=3,
        at=at,
        case_id=9,
        kind="overdue",
        text="已超期",
        recipients=(AlertRecipient(user_id=1, alert_id=2),),
    )
    payload = alerted.as_payload()
    assert payload["recipients"] == [{"user_id": 1, "alert_id": 2}]
    assert payload["at"] == at.isoformat()
    assert StaffAlerted.from_payload(payload) == alerted
    # A field dropped since the row was written is ignored, a defaulted one filled in.
    assert Probe.from_payload({"tenant_id": 1, "count": 2, "gone": True}) == Probe(
        tenant_id=1, count=2
    )
    assert Probe.from_payload({"tenant_id": 1, "count": 2, "ratio": 1}).ratio == 1.0


SEEN: list[eventbus.Event] = []


@eventbus.subscribe((CaseSubmitted, CaseEscalated), queue="default")
def seen_by_test(event: CaseSubmitted | CaseEscalated) -> None:
    SEEN.append(event)


@pytest.mark.django_db(transaction=True)
def test_subscribers_receive_the_typed_event_stamped_with_its_time(demo, drain):
    SEEN.clear()
    eventbus.publish(CaseEscalated(tenant_id=demo.pk, case_id=5, cause="dissatisfied"))
    drain("default")
    [event] = SEEN
    assert type(event) is CaseEscalated
    assert (event.case_id, event.cause, event.tenant_id) == (5, "dissatisfied", demo.pk)
    assert isinstance(event.at, datetime) and event.at <= timezone.now()


@pytest.mark.django_db(transaction=True)
def test_a_task_row_written_before_the_declarations_still_delivers(demo, drain):
    """Rows queued by the previous release carry the event's name and a plain dict."""
    SEEN.clear()
    DBTaskResult.objects.create(
        task_path=seen_by_test.module_path,
        queue_name="default",
        backend_name="default",
        args_kwargs={
            "args": [
                "case.submitted",
                {"at": "2026-11-30T08:00:00+00:00", "case_id": 7, "tenant_id": demo.pk},
            ],
            "kwargs": {},
        },
    )
    drain("default")
    assert [
        CaseSubmitted(
            tenant_id=demo.pk, case_id=7, at=datetime.fromisoformat("2026-11-30T08:00:00+00:00")
        )
    ] == SEEN


def test_every_subscription_of_the_project_names_a_published_event():
    assert checks.check_subscriptions() == []
    names = {e.name for s in eventbus.subscriptions() for e in s.events}
    assert {"case.submitted", "case.overdue", "survey.answered", "staff.alerted"} <= names


def as_if_in_routing(event) -> None:
    """A handler the check takes for routing's own (tests' subscriptions are not checked)."""


as_if_in_routing.__module__ = "services.routing.handlers"


@pytest.fixture
def subscription_of_routing():
    made = []

    def subscribe(event: type[eventbus.Event]):
        made.append(eventbus.subscribe(event, queue="default")(as_if_in_routing))

    yield subscribe
    for subscriber in made:
        eventbus.unsubscribe(subscriber)


def test_the_check_fails_on_a_subscription_to_an_event_declared_outside_a_service(
    subscription_of_routing,
):
    subscription_of_routing(Probe)
    with pytest.raises(SystemCheckError, match=r"eventbus\.E001.*test\.probe"):
        call_command("check")


def test_the_check_fails_on_a_subscription_to_an_event_its_service_never_publishes(
    subscription_of_routing,
):
    class Forgotten(eventbus.Event, name="case.forgotten"):
        __module__ = "services.intake.events"  # declared by intake, used nowhere in intake
        case_id: int

    try:
        subscription_of_routing(Forgotten)
        [error] = checks.check_subscriptions()
        assert error.id == "eventbus.E001"
        assert "services.intake declares it but never uses Forgotten" in error.msg
    finally:
        forget(Forgotten)


def test_the_publisher_scan_ignores_subscribing_and_annotations():
    source = (
        "@eventbus.subscribe(events.Gone, queue='x')\n"
        "def handler(event: events.Gone) -> events.Gone: ...\n"
        "x: Gone = None\n"
    )
    assert "Gone" not in checks._names_used(source)
    assert "Made" in checks._names_used("eventbus.publish(events.Made(tenant_id=1))")


def test_the_readmes_event_table_is_the_declarations():
    """Regenerate with `manage.py event_table --write` after declaring or subscribing."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert catalogue.event_table() in readme, "run `manage.py event_table --write`"
    assert with_table(readme) == readme


def test_the_table_lists_every_declared_event_and_who_reacts():
    table = catalogue.event_table()
    for event in catalogue.declarations_in_order():
        assert f"| `{event.name}` |" in table
    assert {e.name for e in catalogue.declarations_in_order()} == {
        name for name in eventbus.declared() if not name.startswith("test.")
    }
    assert "routing: `route_submitted_case` (routing)" in table
    assert "test_event_declarations" not in table and "seen_by_test" not in table
