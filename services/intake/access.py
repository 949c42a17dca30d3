"""Who may take submissions for a tenant and which cases a staff member may read."""

import hmac

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.directory.api import StaffInfo
from services.identifiers.phones import last_four_digits, normalise_phone
from services.identifiers.tracking_numbers import normalise_tracking_number
from services.privacy import phone_hash

from .models import Case, Scenario

# Who may take a citizen's request on the tenant's behalf: the reception desks (无差别受理:
# any desk accepts any request), the command room and the tenant's administrators.
INTAKE_ROLES = frozenset(
    {directory.Role.RECEPTION, directory.Role.DISPATCHER, directory.Role.TENANT_ADMIN}
)
# Who reads every case of the tenant; department staff read only their departments' cases.
TENANT_WIDE_READERS = INTAKE_ROLES


def intake_staff(user) -> StaffInfo:
    """The user as a member of staff allowed to take submissions, or PermissionDenied."""
    staff = directory.staff_info(user)
    if staff is None or staff.role not in INTAKE_ROLES:
        raise PermissionDenied(_("只有受理窗口、指挥室和平台管理员可以代市民登记诉求。"))
    return staff


def staff_scenarios(staff: StaffInfo) -> list[Scenario]:
    with scopes_disabled():
        return list(
            Scenario.objects.filter(tenant_id=staff.tenant_id, active=True)
            .select_related("tenant")
            .order_by("pk")
        )


def scenario_for_staff(staff: StaffInfo, code: str) -> Scenario:
    """An active scenario of the staff member's own tenant, or LookupError."""
    with scopes_disabled():
        scenario = (
            Scenario.objects.select_related("tenant")
            .filter(tenant_id=staff.tenant_id, code=code, active=True)
            .first()
        )
    if scenario is None:
        raise LookupError(code)
    return scenario


def readable_cases(user) -> QuerySet[Case]:
    """The cases this user may read: none for strangers, their tenant's or their
    departments' for staff, all for the platform operator (superuser). Never another
    tenant's, whatever scope is active."""
    staff = directory.staff_info(user)
    with scopes_disabled():
        cases = Case.objects.select_related("scenario", "region", "department")
    if staff is None:
        # The platform operator reads everything, as in the admin; anyone else nothing.
        return cases if getattr(user, "is_superuser", False) else cases.none()
    return visible_to(staff, cases.filter(tenant_id=staff.tenant_id))


def visible_to(staff: StaffInfo, cases: QuerySet[Case]) -> QuerySet[Case]:
    """Dispatchers, tenant administrators and reception desks read the whole tenant; department
    staff read the cases their departments lead (承办) or co-handle (协办). The admin, the API
    and the photo view all narrow by this one rule."""
    if staff.role in TENANT_WIDE_READERS:
        return cases
    if not staff.department_ids:
        return cases.none()
    # Imported here: routing's api imports intake's, which imports this module.
    from services.routing import api as routing

    co_handled = routing.co_handled_case_ids(staff.department_ids)
    return cases.filter(Q(department_id__in=staff.department_ids) | Q(pk__in=co_handled))


def cases_by_phone(staff: StaffInfo, raw_phone: str) -> list[Case]:
    """A caller's earlier cases in the staff member's tenant, newest first.

    Raises django.forms.ValidationError for a number that is not a phone number.
    """
    tenant = directory.get_tenant(staff.tenant_id)
    phone = normalise_phone(raw_phone, tenant.phone_region)
    with scopes_disabled():
        return list(
            Case.objects.filter(tenant_id=staff.tenant_id, reporter_phone_hash=phone_hash(phone))
            .select_related("scenario")
            .order_by("-created_at")[:50]
        )


def cases_by_tracking_and_phone(tracking_number: str, last_four: str) -> list[Case]:
    """The case(s) a citizen may see by their tracking number and their phone's last four
    digits. Anonymous cases (no phone) are reachable only by their private link."""
    digits = last_four_digits(last_four)
    number = normalise_tracking_number(tracking_number)
    if not digits or not number:
        return []
    with scopes_disabled():
        candidates = Case.objects.filter(tracking_number=number).select_related(
            "scenario", "region"
        )
        # The tracking number finds the few candidates (one per tenant at most); the last four
        # digits are then checked here, in constant time, rather than by a plaintext LIKE on
        # the phone column. An anonymised or anonymous case has no phone and never matches.
        return [
            c
            for c in candidates
            if c.reporter_phone and hmac.compare_digest(c.reporter_phone[-4:], digits)
        ]
