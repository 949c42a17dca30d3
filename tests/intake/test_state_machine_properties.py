"""Property: any sequence of attempted transitions by any role leaves a case in a valid state
whose timeline replays to that state."""

import contextlib

import pytest
from django.core.exceptions import PermissionDenied
from django_scopes import scope, scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.directory import api as directory
from services.intake.models import Case, EntryPoint
from services.intake.states import CaseState
from services.intake.workflow import TRANSITIONS, CaseConflict, submit, transition
from tests.builders import wage_arrears_form

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROLES = ["system", "dispatcher", "labour", "medical", "xinhe_desk", "admin", "outsider"]


@pytest.fixture
def actors(demo, user_named):
    other = directory.create_tenant("玉环市", "yuhuan-prop")
    dept = directory.create_department(other, "玉环市人力社保局", "labour")
    outsider = directory.create_staff(
        other, "yh_prop", "pw", directory.Role.DISPATCHER, departments=[dept]
    ).user
    people = {name: user_named(name) for name in ROLES if name not in ("system", "outsider")}
    return {"system": None, "outsider": outsider, **people}


def _replay(case: Case) -> str:
    state = ""
    for event in case.timeline.order_by("pk"):
        assert event.from_state == state, f"timeline jumps from {state} via {event}"
        state = event.to_state
    return state


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    attempts=st.lists(
        st.tuples(st.sampled_from(sorted(TRANSITIONS)), st.sampled_from(ROLES)), max_size=14
    )
)
def test_any_sequence_of_attempts_keeps_the_case_valid(demo, actors, attempts):
    with scopes_disabled():
        ep = EntryPoint.objects.filter(tenant=demo, scenario__code="wage_arrears").get()
        labour = ep.scenario.tenant.department_set.get(code="labour")
    with scope(tenant=demo.pk):
        case = submit(ep.scenario, wage_arrears_form(), channel="qr", entry_point=ep)
    for name, role in attempts:
        changes = {"department_id": labour.pk} if name in ("route", "dispatch", "reassign") else {}
        if name == "resolve":
            changes["result"] = "已处理"
        with scopes_disabled():
            case = Case.objects.get(pk=case.pk)
        with contextlib.suppress(PermissionDenied, CaseConflict):
            transition(case, name, by=actors[role], note="", **changes)
        with scopes_disabled():
            case = Case.objects.get(pk=case.pk)
            assert case.state in CaseState.values
            assert _replay(case) == case.state
            if case.state in ("assigned", "in_progress", "resolved"):
                assert case.department_id is not None, "a handled case has a department"
