"""Who may do what (权限): every authorisation decision of the platform, in one module.

The roles (角色) are declared here and nowhere else; everything else asks for a named
*capability* — "may take submissions", "reads the whole tenant", "sees full phone numbers" —
never for a role. Admin, API, pages, the websocket and the workers all ask this module, so a
right granted or withdrawn here is granted or withdrawn everywhere at once.

Three kinds of question:

- `can(staff, capability)`: a right of the role, whatever the case (`CAPABILITIES`);
- case questions (`may_take`, `reads_case`, `sees_full_phone`, `reads_reporter`): the role's
  right narrowed by the member's relation to one case (their department leads it, they took it
  in) and by the case's scenario being confidential (举报类);
- `model_actions(role, "app.model")`: the Django admin's view/add/change/delete per model,
  read by the auth backend in roles.py.

Adding a capability is one line in `Capability` and one in `CAPABILITIES`; a new transition of
the case workflow is one line in `TRANSITIONS` naming the capability it needs (absent: only the
system takes it). This module imports nothing of the project: it decides, others act.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A staff member's role in their tenant (Staff.role stores the value)."""

    TENANT_ADMIN = "tenant_admin", _("平台管理员")
    DISPATCHER = "dispatcher", _("指挥室调度员")
    DEPARTMENT = "department", _("部门工作人员")
    RECEPTION = "reception", _("镇街受理窗口")


class Capability(StrEnum):
    TAKE_SUBMISSIONS = "take_submissions"  # 代市民登记 (desk form, staff API)
    READ_ALL_CASES = "read_all_cases"  # reads every case of the tenant
    READ_DEPARTMENT_CASES = "read_department_cases"  # cases their departments lead or co-handle
    READ_OWN_INTAKE = "read_own_intake"  # cases they took in themselves (受理人)
    HANDLE_CASES = "handle_cases"  # 签收 / 退回 / 办结, for the lead department (承办)
    COMMAND_CASES = "command_cases"  # 派单 / 改派 / 作废 (指挥室)
    SEE_FULL_PHONE = "see_full_phone"  # the whole number of cases they read (they call back)
    SEE_EXACT_LOCATION = "see_exact_location"  # 案件精确位置 (they go there); others: ~1 km
    READ_CONFIDENTIAL_REPORTER = "read_confidential_reporter"  # 举报人 of cases they act on
    REQUEST_EXTENSIONS = "request_extensions"  # 申请延期
    DECIDE_EXTENSIONS = "decide_extensions"  # 审批延期
    WATCH_DASHBOARD = "watch_dashboard"  # 指挥室大屏, its websocket, the monthly report
    READ_STATISTICS = "read_statistics"  # routing's monthly statistics API
    ALERTED_FOR_ALL = "alerted_for_all"  # 督办预警 of every overdue case
    ALERTED_AS_HEAD = "alerted_as_head"  # 督办预警 of their department's, when 部门负责人
    WORKS_IN_DEPARTMENTS = "works_in_departments"  # belongs to departments; may head them
    MANAGE_API_KEYS = "manage_api_keys"  # 接口密钥 of partner systems (issue, revoke)
    SHARE_POSITION = "share_position"  # 外勤定位: may go on duty for nearest-officer dispatch
    ENTER_INDEX_VALUES = "enter_index_values"  # 治理指数的人工填报 (institution checks …)
    RECOMPUTE_INDEX = "recompute_index"  # 重新计算 a closed month's governance index


C = Capability
CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.TENANT_ADMIN: frozenset(
        {
            C.TAKE_SUBMISSIONS,
            C.READ_ALL_CASES,
            C.READ_OWN_INTAKE,
            C.COMMAND_CASES,
            C.REQUEST_EXTENSIONS,
            C.DECIDE_EXTENSIONS,
            C.WATCH_DASHBOARD,
            C.READ_STATISTICS,
            C.MANAGE_API_KEYS,
            C.ENTER_INDEX_VALUES,
            C.RECOMPUTE_INDEX,
        }
    ),
    Role.DISPATCHER: frozenset(
        {
            C.TAKE_SUBMISSIONS,
            C.READ_ALL_CASES,
            C.READ_OWN_INTAKE,
            C.COMMAND_CASES,
            C.SEE_FULL_PHONE,
            C.SEE_EXACT_LOCATION,
            C.READ_CONFIDENTIAL_REPORTER,
            C.REQUEST_EXTENSIONS,
            C.DECIDE_EXTENSIONS,
            C.WATCH_DASHBOARD,
            C.READ_STATISTICS,
            C.ALERTED_FOR_ALL,
            C.ENTER_INDEX_VALUES,
            C.RECOMPUTE_INDEX,
        }
    ),
    Role.DEPARTMENT: frozenset(
        {
            C.READ_DEPARTMENT_CASES,
            C.HANDLE_CASES,
            C.SEE_FULL_PHONE,
            C.SEE_EXACT_LOCATION,
            C.READ_CONFIDENTIAL_REPORTER,
            C.REQUEST_EXTENSIONS,
            C.ALERTED_AS_HEAD,
            C.WORKS_IN_DEPARTMENTS,
            C.SHARE_POSITION,
        }
    ),
    Role.RECEPTION: frozenset({C.TAKE_SUBMISSIONS, C.READ_OWN_INTAKE}),
}

# Capabilities held only towards the cases of the member's own departments: the lead
# department (承办) for these; co-handlers (协办) read the case but do not act on the reporter.
LEAD_DEPARTMENT_ONLY = frozenset(
    {C.HANDLE_CASES, C.READ_CONFIDENTIAL_REPORTER, C.REQUEST_EXTENSIONS}
)

# Who may take each transition of the case workflow (intake's state machine). A transition
# not listed here is the system's alone (a worker acting on an event or a survey answer).
TRANSITIONS: dict[str, Capability] = {
    "dispatch": C.COMMAND_CASES,
    "reassign": C.COMMAND_CASES,
    "invalidate": C.COMMAND_CASES,
    "close_by_dispatcher": C.COMMAND_CASES,  # 说明结案
    "reopen_by_dispatcher": C.COMMAND_CASES,  # 指挥室重办
    "sign_for": C.HANDLE_CASES,
    "return_case": C.HANDLE_CASES,
    "resolve": C.HANDLE_CASES,
}


class Member(Protocol):
    """What the policy reads of a staff member (directory.api.StaffInfo). Read-only
    properties, so frozen dataclasses satisfy it."""

    @property
    def user_id(self) -> int: ...
    @property
    def tenant_id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def department_ids(self) -> frozenset[int]: ...
    @property
    def is_department_head(self) -> bool: ...


@dataclass(frozen=True)
class CaseFacts:
    """What the policy needs to know of a case; intake states it, the policy judges."""

    tenant_id: int
    department_id: int | None = None
    intake_officer_id: int | None = None
    confidential: bool = False  # the scenario is 举报类


def can(staff: Member | None, capability: Capability) -> bool:
    """Whether the member's role holds `capability` at all (None: nobody's staff)."""
    return staff is not None and capability in CAPABILITIES.get(staff.role, frozenset())


def requires_two_factor(staff: Member | None, roles_requiring: Iterable[str]) -> bool:
    """Whether the member logs in with a TOTP code as well (两步验证): each tenant lists the
    roles that must (Tenant.two_factor_roles)."""
    return staff is not None and staff.role in frozenset(roles_requiring)


def roles_with(capability: Capability) -> frozenset[str]:
    """The roles holding `capability`, for queries over staff (e.g. who gets alerts)."""
    return frozenset(role for role, held in CAPABILITIES.items() if capability in held)


def _in_tenant(staff: Member | None, case: CaseFacts) -> bool:
    return staff is not None and staff.tenant_id == case.tenant_id


def _leads(staff: Member | None, case: CaseFacts) -> bool:
    return (
        staff is not None
        and case.department_id is not None
        and case.department_id is not None
        and case.department_id in staff.department_ids
    )


def _took_in(staff: Member | None, case: CaseFacts) -> bool:
    return (
        staff is not None
        and case.intake_officer_id is not None
        and case.intake_officer_id == staff.user_id
    )


def acts_on(staff: Member | None, capability: Capability, case: CaseFacts) -> bool:
    """`can`, narrowed to one case of the member's tenant (and to the lead department for
    LEAD_DEPARTMENT_ONLY capabilities held by department staff)."""
    if not (_in_tenant(staff, case) and can(staff, capability)):
        return False
    if capability in LEAD_DEPARTMENT_ONLY and can(staff, C.WORKS_IN_DEPARTMENTS):
        return _leads(staff, case)
    return True


def may_take(staff: Member | None, transition: str, case: CaseFacts) -> bool:
    """Whether a person may take `transition` on the case; `staff` None means the system
    itself, which takes exactly the transitions no person may."""
    needed = TRANSITIONS.get(transition)
    if staff is None:
        return needed is None
    return needed is not None and acts_on(staff, needed, case)


@dataclass(frozen=True)
class CaseReach:
    """Which of the tenant's cases a member reads (intake turns it into a query)."""

    all_cases: bool
    department_ids: frozenset[int]  # led or co-handled by these
    own_intake_of: int | None  # the user id whose intake they read


def case_reach(staff: Member) -> CaseReach:
    """The need-to-know rule for reading cases: the command room and the administrators
    read the tenant; departments their cases (承办 and 协办); a desk (受理窗口) the cases it
    took in, and what a citizen at the counter proves is theirs (tracking number + phone)."""
    return CaseReach(
        all_cases=can(staff, C.READ_ALL_CASES),
        department_ids=staff.department_ids if can(staff, C.READ_DEPARTMENT_CASES) else frozenset(),
        own_intake_of=staff.user_id if can(staff, C.READ_OWN_INTAKE) else None,
    )


def reporter_reach(staff: Member) -> CaseReach:
    """Of the confidential cases, those whose reporter the member reads (`reads_reporter`
    as a reach, for queries such as a search by the reporter's number)."""
    acts = can(staff, C.READ_CONFIDENTIAL_REPORTER)
    lead_only = acts and can(staff, C.WORKS_IN_DEPARTMENTS)
    return CaseReach(
        all_cases=acts and not lead_only,
        department_ids=staff.department_ids if lead_only else frozenset(),
        own_intake_of=staff.user_id,
    )


def reads_reporter(staff: Member | None, case: CaseFacts) -> bool:
    """Whether the reporter's identity (name, phone, photos) is shown to this reader. Every
    reader sees it on ordinary cases; on confidential ones (举报类) only those who act on
    the reporter: the command room, the lead department, and whoever took it in."""
    if not _in_tenant(staff, case):
        return False
    if not case.confidential:
        return True
    return acts_on(staff, C.READ_CONFIDENTIAL_REPORTER, case) or _took_in(staff, case)


def sees_full_phone(staff: Member | None, case: CaseFacts) -> bool:
    """The one rule for the whole number, in admin, API and exports alike: those who call
    the citizen back (command room, handling departments) and whoever took the case in.
    Everyone else who reads the case sees it masked (138****5678); logs always mask."""
    if not reads_reporter(staff, case):
        return False
    return can(staff, C.SEE_FULL_PHONE) or _took_in(staff, case)


def sees_exact_location(staff: Member | None, case: CaseFacts) -> bool:
    """Where the case happened, to the metre, follows the number's rule: a phone's position is
    often the reporter's home or workplace, so it identifies them as the number does. Those
    who go there or call back (command room, handling departments) and whoever took the case
    in see it exactly; other readers see it rounded to about a kilometre (LOCATION_ROUNDING);
    nobody who may not read a confidential case's reporter sees more than that."""
    if not reads_reporter(staff, case):
        return False
    return can(staff, C.SEE_EXACT_LOCATION) or _took_in(staff, case)


# Decimals of a degree shown to readers without the exact location: 0.01° is about 1.1 km
# north–south, enough to place a case in a village, not at a door.
LOCATION_ROUNDING = 2


# --- the Django admin: which models each role may view / add / change / delete -------------

VIEW = frozenset({"view"})
EDIT = frozenset({"view", "add", "change", "delete"})

# The business apps staff may ever see; everything else (auth, tasks, axes …) is the
# platform operator's (superuser) alone.
STAFF_APPS = ("directory", "intake", "routing", "notify", "apikeys", "governance")

# Models administered by whoever holds a capability, whatever their role: issued and revoked,
# never deleted (who had access, and when, stays on record).
CAPABILITY_MODELS: dict[str, tuple[Capability, frozenset[str]]] = {
    "apikeys.apikey": (C.MANAGE_API_KEYS, frozenset({"view", "add", "change"})),
}

# Records written by the system: never edited by hand, by any role.
READ_ONLY_MODELS = frozenset(
    {
        "directory.dutyposition",  # the officers' duty page writes it
        "intake.case",
        "intake.caseevent",
        "routing.routingdecision",
        "notify.message",
        "notify.survey",
        "notify.inboundmessage",
        "governance.monthlyresult",
        "governance.recomputation",
    }
)

# role → {"app.model": actions}; "app.*" is the default for that app's other models, so a
# service that adds a configuration model (e.g. SMS templates) is administrable by the tenant
# administrator and readable by dispatchers without touching this table.
MODEL_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.TENANT_ADMIN: {
        # Their own tenant's settings (hotline, SMS number); tenants are created by the operator.
        "directory.tenant": frozenset({"view", "change"}),
        "directory.*": EDIT,
        "intake.*": EDIT,
        "routing.*": EDIT,
        "notify.*": EDIT,
        "governance.*": EDIT,
    },
    Role.DISPATCHER: {
        "directory.region": VIEW,
        "directory.department": VIEW,
        "directory.staff": VIEW,
        "directory.dutyposition": VIEW,  # who is on duty where (就近派遣)
        "intake.*": VIEW,
        "routing.*": VIEW,
        "notify.*": VIEW,
        "governance.*": VIEW,
        # The command room (社会治理中心) enters the monthly checks the case data cannot know.
        "governance.enteredvalue": EDIT,
    },
    Role.DEPARTMENT: {
        "intake.case": VIEW,
        "intake.caseevent": VIEW,
    },
    Role.RECEPTION: {
        "intake.case": VIEW,
        "intake.caseevent": VIEW,
        "intake.scenario": VIEW,
        "intake.entrypoint": VIEW,
    },
}


def model_actions(role: str, label: str) -> frozenset[str]:
    """The admin actions ("view", "add", …) `role` has on model `label` ("intake.case")."""
    if label in CAPABILITY_MODELS:
        capability, actions = CAPABILITY_MODELS[label]
        return actions if capability in CAPABILITIES.get(role, frozenset()) else frozenset()
    table = MODEL_ACTIONS.get(role, {})
    app_label = label.split(".", 1)[0]
    if app_label not in STAFF_APPS:
        return frozenset()
    actions = table.get(label, table.get(f"{app_label}.*", frozenset()))
    return actions & VIEW if label in READ_ONLY_MODELS else actions
