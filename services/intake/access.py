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

from . import location
from .handling import co_handled_case_ids
from .models import Case, Scenario

Capability = directory.Capability
policy = directory.policy


def intake_staff(user) -> StaffInfo:
    """The user as a member of staff allowed to take submissions, or PermissionDenied."""
    staff = directory.staff_info(user)
    if staff is None or not policy.can(staff, Capability.TAKE_SUBMISSIONS):
        raise PermissionDenied(_("只有受理窗口、指挥室和平台管理员可以代市民登记诉求。"))
    return staff


def facts(case: Case) -> directory.CaseFacts:
    """What the policy judges a case by (its scenario is loaded with it everywhere)."""
    return directory.CaseFacts(
        tenant_id=case.tenant_id,
        department_id=case.department_id,
        intake_officer_id=case.intake_officer_id,
        confidential=case.scenario.confidential,
    )


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
    """The cases of `cases` the member may read, by the policy's need-to-know rule
    (`policy.case_reach`). The admin, the API, the photo view and the desk all narrow by it."""
    reach = policy.case_reach(staff)
    if reach.all_cases:
        return cases
    readable = Q(pk__in=[])
    if reach.department_ids:
        co_handled = co_handled_case_ids(reach.department_ids)
        readable |= Q(department_id__in=reach.department_ids) | Q(pk__in=co_handled)
    if reach.own_intake_of is not None:
        readable |= Q(intake_officer_id=reach.own_intake_of)
    return cases.filter(readable)


def with_readable_reporter(staff: StaffInfo, cases: QuerySet[Case]) -> QuerySet[Case]:
    """`cases` less the confidential ones whose reporter the member may not see: a search by
    a number must not reveal that its owner reported (举报) anything."""
    reach = policy.reporter_reach(staff)
    if reach.all_cases:
        return cases
    readable = Q(scenario__confidential=False) | Q(intake_officer_id=reach.own_intake_of)
    if reach.department_ids:
        readable |= Q(department_id__in=reach.department_ids)
    return cases.filter(readable)


def shows_reporter(staff: StaffInfo | None, case: Case) -> bool:
    return policy.reads_reporter(staff, facts(case))


def shows_full_phone(staff: StaffInfo | None, case: Case) -> bool:
    return policy.sees_full_phone(staff, facts(case))


def shown_location(staff: StaffInfo | None, case: Case, *, operator: bool = False):
    """The case's coordinates as this reader may see them (location.shown): exact for those
    the policy lets see the exact place, rounded to about a kilometre for the others."""
    exact = operator or policy.sees_exact_location(staff, facts(case))
    return location.shown(
        case.latitude, case.longitude, exact=exact, rounding=policy.LOCATION_ROUNDING
    ), exact


def counter_lookup(staff: StaffInfo, raw_phone: str, tracking_number: str = "") -> list[Case]:
    """A caller's cases at the counter, newest first: those of the caller's number the member
    reads anyway (a desk: the ones it took in), plus the one the citizen proves is theirs by
    its tracking number together with their phone.

    Raises django.forms.ValidationError for a number that is not a phone number.
    """
    tenant = directory.get_tenant(staff.tenant_id)
    phone = normalise_phone(raw_phone, tenant.phone_region)
    number = normalise_tracking_number(tracking_number)
    with scopes_disabled():
        callers = Case.objects.filter(
            tenant_id=staff.tenant_id, reporter_phone_hash=phone_hash(phone)
        )
        found = visible_to(staff, callers)
        if number:
            found = found | callers.filter(tracking_number=number)
        return list(found.select_related("scenario").order_by("-created_at")[:50])


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
