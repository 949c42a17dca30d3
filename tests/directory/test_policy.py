"""The authorisation policy (services/directory/policy.py): every role × capability, every
transition × role, the case rules (need-to-know, full numbers, confidential reporters), and
that no other module decides by role."""

import re

import pytest

from services.directory.policy import (
    TRANSITIONS,
    Capability,
    CaseFacts,
    Role,
    acts_on,
    can,
    case_reach,
    may_take,
    reads_reporter,
    reporter_reach,
    roles_with,
    sees_full_phone,
)
from services.directory.roles import permissions_for_role
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db  # permissions_for_role reads the installed models

C = Capability
ADMIN, DISPATCHER, DEPARTMENT, DESK = (
    Role.TENANT_ADMIN,
    Role.DISPATCHER,
    Role.DEPARTMENT,
    Role.RECEPTION,
)

# The whole table, written out: changing a right means changing this line too.
EXPECTED = {
    C.TAKE_SUBMISSIONS: {ADMIN, DISPATCHER, DESK},
    C.READ_ALL_CASES: {ADMIN, DISPATCHER},
    C.READ_DEPARTMENT_CASES: {DEPARTMENT},
    C.READ_OWN_INTAKE: {ADMIN, DISPATCHER, DESK},
    C.HANDLE_CASES: {DEPARTMENT},
    C.COMMAND_CASES: {ADMIN, DISPATCHER},
    C.SEE_FULL_PHONE: {DISPATCHER, DEPARTMENT},
    C.SEE_EXACT_LOCATION: {DISPATCHER, DEPARTMENT},
    C.READ_CONFIDENTIAL_REPORTER: {DISPATCHER, DEPARTMENT},
    C.REQUEST_EXTENSIONS: {ADMIN, DISPATCHER, DEPARTMENT},
    C.DECIDE_EXTENSIONS: {ADMIN, DISPATCHER},
    C.WATCH_DASHBOARD: {ADMIN, DISPATCHER},
    C.READ_STATISTICS: {ADMIN, DISPATCHER},
    C.ALERTED_FOR_ALL: {DISPATCHER},
    C.ALERTED_AS_HEAD: {DEPARTMENT},
    C.WORKS_IN_DEPARTMENTS: {DEPARTMENT},
    C.MANAGE_API_KEYS: {ADMIN},
    C.SHARE_POSITION: {DEPARTMENT},
    C.ENTER_INDEX_VALUES: {ADMIN, DISPATCHER},
    C.RECOMPUTE_INDEX: {ADMIN, DISPATCHER},
}

TENANT, OTHER_TENANT, LABOUR, MEDICAL = 1, 2, 10, 11


class Member:
    def __init__(self, role, *, user_id=100, tenant_id=TENANT, departments=()):
        self.role, self.user_id, self.tenant_id = role, user_id, tenant_id
        self.department_ids = frozenset(departments)
        self.is_department_head = False


MEMBERS = {
    "admin": Member(ADMIN),
    "dispatcher": Member(DISPATCHER),
    "labour": Member(DEPARTMENT, departments=[LABOUR]),
    "medical": Member(DEPARTMENT, departments=[MEDICAL]),
    "desk": Member(DESK),
    "intake_desk": Member(DESK, user_id=7),  # the desk officer who took the case in
    "other_dispatcher": Member(DISPATCHER, tenant_id=OTHER_TENANT),
}


def test_the_table_lists_every_capability():
    assert set(EXPECTED) == set(Capability)


@pytest.mark.parametrize("capability", list(Capability))
@pytest.mark.parametrize("role", list(Role))
def test_role_by_capability(role, capability):
    assert can(Member(role), capability) is (role in EXPECTED[capability])
    assert (role in roles_with(capability)) is (role in EXPECTED[capability])


def test_nobody_holds_anything():
    assert not any(can(None, capability) for capability in Capability)
    assert not any(can(Member("retired"), capability) for capability in Capability)


# A case led by labour (medical co-handles it), taken in by user 7 at a desk.
CASE = CaseFacts(tenant_id=TENANT, department_id=LABOUR, intake_officer_id=7)
CONFIDENTIAL = CaseFacts(
    tenant_id=TENANT, department_id=LABOUR, intake_officer_id=7, confidential=True
)

WHO_MAY_TAKE = {
    "dispatch": {"admin", "dispatcher"},
    "reassign": {"admin", "dispatcher"},
    "invalidate": {"admin", "dispatcher"},
    "close_by_dispatcher": {"admin", "dispatcher"},
    "reopen_by_dispatcher": {"admin", "dispatcher"},
    "sign_for": {"labour"},
    "return_case": {"labour"},
    "resolve": {"labour"},
}


@pytest.mark.parametrize("transition", [*WHO_MAY_TAKE, "route", "hold_for_dispatch", "close"])
def test_transition_by_member(transition):
    allowed = {name for name, member in MEMBERS.items() if may_take(member, transition, CASE)}
    assert allowed == WHO_MAY_TAKE.get(transition, set())
    assert may_take(None, transition, CASE) is (transition not in TRANSITIONS), "the system"


def test_a_new_transition_is_the_systems_until_the_policy_names_who_may():
    assert not any(may_take(m, "close_with_reason", CASE) for m in MEMBERS.values())
    assert may_take(None, "close_with_reason", CASE)


@pytest.mark.parametrize(
    ("member", "full", "reporter", "full_confidential", "reporter_confidential"),
    [
        ("admin", False, True, False, False),
        ("dispatcher", True, True, True, True),
        ("labour", True, True, True, True),  # leads it (承办)
        ("medical", True, True, False, False),  # co-handles it (协办)
        ("desk", False, True, False, False),
        ("intake_desk", True, True, True, True),  # took it in
        ("other_dispatcher", False, False, False, False),
    ],
)
def test_reporter_and_phone_by_member(
    member, full, reporter, full_confidential, reporter_confidential
):
    reader = MEMBERS[member]
    assert sees_full_phone(reader, CASE) is full
    assert reads_reporter(reader, CASE) is reporter
    assert sees_full_phone(reader, CONFIDENTIAL) is full_confidential
    assert reads_reporter(reader, CONFIDENTIAL) is reporter_confidential


def test_case_reach_is_need_to_know():
    assert case_reach(MEMBERS["dispatcher"]).all_cases
    assert case_reach(MEMBERS["admin"]).all_cases
    labour = case_reach(MEMBERS["labour"])
    assert (labour.all_cases, labour.department_ids, labour.own_intake_of) == (
        False,
        frozenset({LABOUR}),
        None,
    )
    desk = case_reach(MEMBERS["desk"])
    assert (desk.all_cases, desk.department_ids, desk.own_intake_of) == (False, frozenset(), 100)


def test_reporter_reach_matches_reads_reporter():
    """The query form (a search by number) and the per-case rule agree."""
    for name, member in MEMBERS.items():
        if member.tenant_id != TENANT:
            continue
        reach = reporter_reach(member)
        for department in (LABOUR, MEDICAL):
            for officer in (7, 8):
                case = CaseFacts(TENANT, department, officer, confidential=True)
                in_reach = (
                    reach.all_cases
                    or department in reach.department_ids
                    or officer == reach.own_intake_of
                )
                assert in_reach is reads_reporter(member, case), (name, department, officer)


def test_extensions_are_asked_by_the_lead_department_and_decided_by_the_command_room():
    assert acts_on(MEMBERS["labour"], C.REQUEST_EXTENSIONS, CASE)
    assert not acts_on(MEMBERS["medical"], C.REQUEST_EXTENSIONS, CASE)
    assert acts_on(MEMBERS["dispatcher"], C.DECIDE_EXTENSIONS, CASE)
    assert not acts_on(MEMBERS["other_dispatcher"], C.DECIDE_EXTENSIONS, CASE)
    assert not acts_on(MEMBERS["labour"], C.DECIDE_EXTENSIONS, CASE)


def test_admin_model_permissions_come_from_the_same_module():
    desk = permissions_for_role(DESK)
    assert "intake.view_case" in desk and "intake.change_case" not in desk
    assert "notify.change_notifysettings" in permissions_for_role(ADMIN)
    assert "notify.view_notifysettings" in permissions_for_role(DISPATCHER)
    assert not any(p.startswith("auth.") for p in permissions_for_role(ADMIN))
    assert permissions_for_role("retired") == frozenset()


ROLE_NAME = re.compile(
    r"Role\.(TENANT_ADMIN|DISPATCHER|DEPARTMENT|RECEPTION)\b"
    r"|[\"'](tenant_admin|dispatcher|reception)[\"']"
    r"|\.role\s*(==|!=|in|not in)\s"
)
# Seeding accounts names roles as data: the demo tenant and the benchmarks' staff.
DATA = ("demo/", "bench/")


def test_no_module_but_the_policy_decides_by_role():
    offenders = []
    for path in sorted(ROOT.glob("**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", *DATA)) or "/migrations/" in relative:
            continue
        if relative == "services/directory/policy.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if ROLE_NAME.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
