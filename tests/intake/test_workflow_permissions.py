"""Every transition is guarded by role and tenant, and recorded."""

import pytest
from django.core.exceptions import PermissionDenied
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.intake.models import Case
from tests.builders import entry_token, wage_arrears_form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def assigned_case(client, demo, drain) -> Case:
    client.post(f"/c/{entry_token(demo.pk, '欠薪')}/", wage_arrears_form())
    drain("routing")
    with scopes_disabled():
        return Case.objects.get()


@pytest.fixture
def other_tenant_labour_user(db):
    other = directory.create_tenant("玉环市", "yuhuan")
    labour = directory.create_department(other, "玉环市人力社保局", "labour")
    staff = directory.create_staff(
        other, "yh_labour", "pw", directory.Role.DEPARTMENT, departments=[labour]
    )
    return staff.user


def test_only_the_assigned_department_may_sign_for(
    assigned_case, user_named, other_tenant_labour_user
):
    for outsider in (user_named("medical"), user_named("xinhe_desk"), other_tenant_labour_user):
        with pytest.raises(PermissionDenied):
            intake.take_transition(assigned_case.pk, "sign_for", outsider)
        assert "sign_for" not in intake.available_transitions(outsider, assigned_case)
    assert intake.get_case(assigned_case.pk).state == "assigned"

    assert intake.available_transitions(user_named("labour"), assigned_case) == [
        "sign_for",
        "return_case",
    ]
    assert intake.take_transition(assigned_case.pk, "sign_for", user_named("labour")).state == (
        "in_progress"
    )


def test_people_cannot_take_system_transitions(assigned_case, user_named):
    with pytest.raises(PermissionDenied):
        intake.take_transition(assigned_case.pk, "close", user_named("admin"))


def test_a_transition_that_no_longer_applies_is_a_clear_conflict(assigned_case, user_named):
    labour = user_named("labour")
    intake.take_transition(assigned_case.pk, "sign_for", labour)
    with pytest.raises(intake.CaseConflict, match="处置中"):
        intake.take_transition(assigned_case.pk, "sign_for", labour)


def test_a_stale_copy_loses_to_the_first_writer(assigned_case, user_named):
    """Two staff pressing at once: the second save sees the state moved and refuses."""
    from services.intake.workflow import transition

    with scopes_disabled():
        stale = Case.objects.get(pk=assigned_case.pk)
    intake.take_transition(assigned_case.pk, "sign_for", user_named("labour"))
    with pytest.raises(intake.CaseConflict):
        transition(stale, "return_case", by=user_named("labour"), note="不属于本部门")
    with scopes_disabled():
        assert [e.action for e in Case.objects.get(pk=assigned_case.pk).timeline.all()] == [
            "submit",
            "route",
            "sign_for",
        ]


def test_returned_case_goes_to_manual_dispatch_not_back(assigned_case, user_named, drain):
    intake.take_transition(
        assigned_case.pk, "return_case", user_named("labour"), note="应由镇街处理"
    )
    drain("routing")
    case = intake.get_case(assigned_case.pk)
    assert case.state == "needs_dispatch"

    dispatcher = user_named("dispatcher")
    with scopes_disabled():
        township_office = directory.get_department(case.tenant_id, _dept_id("xinhe_social"))
    intake.assign(case.id, township_office.id, "派至新河镇", by=dispatcher)
    assert intake.get_case(case.id).department_id == township_office.id


def _dept_id(code: str) -> int:
    from services.directory.models import Department

    with scopes_disabled():
        return Department.objects.get(code=code).pk
