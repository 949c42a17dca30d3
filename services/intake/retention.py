"""保存期限: a closed case keeps its reporter's personal data for the tenant's retention period
(directory's Tenant.retention_days), then loses it for good.

What goes: the reporter's number, its hash and name; the coordinates (a phone's position is
often the reporter's door, so it follows the number's rules); phone numbers in the description, the
scenario fields, the result and the timeline notes; the photos (rows and files). What stays:
the case itself, its scenario, region and place label, states and dates — the statistics need
them. Each case is marked (anonymised_at), so a rerun skips it. The run over every tenant, with
notify's part (the case's SMS, surveys and replies) in the same transaction, is ops/retention.py.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_noop
from django_scopes import scopes_disabled

from services.privacy import rehash, scrub_text

from .models import Case, CaseEvent, CasePhoto
from .photos import discard_files
from .states import CaseState
from .workflow import record_note

NOTE = gettext_noop("已按保存期限删除市民个人信息（姓名、电话、照片）")


def due_cases(tenant_id: int, retention_days: int, now: datetime) -> list[Case]:
    """The tenant's cases closed more than `retention_days` ago and not yet anonymised.

    "Closed" is when the timeline last entered the closed state: a case reopened and closed
    again counts from its last closing.
    """
    cutoff = now - timedelta(days=retention_days)
    with scopes_disabled():
        return list(
            Case.objects.filter(tenant_id=tenant_id, state=CaseState.CLOSED, anonymised_at=None)
            .annotate(closed_at=Max("timeline__at", filter=Q(timeline__to_state=CaseState.CLOSED)))
            .filter(closed_at__lt=cutoff)
            .order_by("pk")
        )


def _scrub_extra(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub_extra(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_extra(v) for v in value]
    return value


def anonymise_case(case: Case, now: datetime) -> dict[str, int]:
    """Removes the reporter's personal data from one case; returns what it changed.

    Call inside a transaction; the photo files go only after it commits, so a rollback
    never leaves rows pointing at deleted files.
    """
    photos = list(CasePhoto.objects.filter(case=case))
    CasePhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    transaction.on_commit(lambda: discard_files(photos))
    Case.objects.filter(pk=case.pk).update(
        reporter_phone="",
        reporter_phone_hash="",
        reporter_name="",
        latitude=None,
        longitude=None,
        description=scrub_text(case.description),
        extra=_scrub_extra(case.extra),
        result=scrub_text(case.result),
        anonymised_at=now,
    )
    for event in CaseEvent.objects.filter(case=case).exclude(note=""):
        # A system note keeps what the citizen said (a survey comment) among its values.
        params = {
            k: scrub_text(v) if isinstance(v, str) else v for k, v in event.note_params.items()
        }
        scrubbed = scrub_text(event.note)
        if (scrubbed, params) != (event.note, event.note_params):
            CaseEvent.objects.filter(pk=event.pk).update(note=scrubbed, note_params=params)
    record_note(case, action="anonymise", note=NOTE, public=False)
    return {"photos": len(photos)}


def rehash_phones() -> int:
    """After a PHONE_HASH_KEY (or SECRET_KEY) change: the cases' hashes recomputed from the
    numbers still stored; returns how many rows changed."""
    with scopes_disabled():
        cases = Case.objects.exclude(reporter_phone="")
        return rehash(cases, "reporter_phone", "reporter_phone_hash")
