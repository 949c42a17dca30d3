"""What the citizen hears while the case is handled: the receipt (受理回执) and, when the tenant
wants it, which department took the case (已分拨)."""

from services.directory.api import get_department
from services.intake import api as intake

from .kinds import Kind
from .outbox import send_sms
from .preferences import settings_for
from .surveys import status_url


def send_receipt(case_id: int) -> None:
    """受理回执 with the tracking number and the private status link."""
    case = intake.get_case(case_id)
    if not case.reporter_phone:
        return
    send_sms(
        tenant_id=case.tenant_id,
        kind=Kind.RECEIPT,
        to=case.reporter_phone,
        key=f"receipt:{case_id}",
        case_id=case_id,
        tracking_number=case.tracking_number,
        status_url=status_url(case.access_key),
    )


def send_assigned(case_id: int) -> None:
    """已分拨: once per department the case goes to, if the tenant sends progress SMS."""
    case = intake.get_case(case_id)
    if not case.reporter_phone or case.department_id is None:
        return
    if not settings_for(case.tenant_id).progress_sms:
        return
    department = get_department(case.tenant_id, case.department_id)
    send_sms(
        tenant_id=case.tenant_id,
        kind=Kind.ASSIGNED,
        to=case.reporter_phone,
        key=f"assigned:{case_id}:{case.department_id}",
        case_id=case_id,
        tracking_number=case.tracking_number,
        department=department.name,
        status_url=status_url(case.access_key),
    )
