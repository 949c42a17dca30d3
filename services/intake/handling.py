"""Who handles a case (承办与协同): the lead department on the case and its co-handling
departments (协同部门). Intake owns both, so the need-to-know rule (access.visible_to) reads
only intake's tables; routing decides and asks through api.assign."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django_scopes import scopes_disabled

from .models import Case, CaseCoHandler


def replace_co_handlers(
    case: Case, department_ids: Iterable[int], *, first_assignment: bool = False
) -> None:
    """The case's co-handlers become exactly these departments (none: the lead alone).
    Call inside the assignment's transaction; rows are the case's own, whatever scope is active
    (a dispatcher's 派单 runs outside one).

    `first_assignment`: the case had no lead department before, so it has no co-handlers yet
    (only an assignment adds them, and every assignment names a lead department that nothing
    removes); the delete that would find nothing is skipped."""
    if not first_assignment:
        with scopes_disabled():
            CaseCoHandler.objects.filter(case_id=case.pk).delete()
    CaseCoHandler.objects.bulk_create(
        CaseCoHandler(tenant_id=case.tenant_id, case_id=case.pk, department_id=department_id)
        for department_id in dict.fromkeys(department_ids)
        if department_id != case.department_id
    )


def co_handled_case_ids(department_ids: Iterable[int]) -> QuerySet:
    """Ids of cases these departments co-handle, as a values_list (active scope)."""
    return CaseCoHandler.objects.filter(department_id__in=list(department_ids)).values_list(
        "case_id", flat=True
    )


def co_handler_ids(case_id: int) -> list[int]:
    """The departments co-handling a case, in the order they were added (the case's own rows,
    whatever scope is active)."""
    with scopes_disabled():
        rows = CaseCoHandler.objects.filter(case_id=case_id).order_by("pk")
        return list(rows.values_list("department_id", flat=True))
