"""保存期限: a closed case keeps its reporter's personal data for the tenant's retention period
(directory's Tenant.retention_days), then loses it for good.

What goes: the reporter's number, its hash and name; phone numbers in the description, the
scenario fields, the result and the timeline notes; the photos (rows and files); and, through
notify's api, the numbers and texts of the case's SMS, surveys and replies. What stays: the
case itself, its scenario, place, states and dates — the statistics need them. Each case is
done in its own transaction and marked (anonymised_at), so a rerun skips it.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_scopes import scopes_disabled
from django_tasks import task

from services.directory import api as directory
from services.eventbus import periodic
from services.privacy import rehash, scrub_text

from .models import Case, CaseEvent, CasePhoto
from .photos import discard_files
from .services import record_note
from .states import CaseState

logger = logging.getLogger(__name__)

NOTE = gettext_noop("已按保存期限删除市民个人信息（姓名、电话、照片）")


@dataclass
class RetentionReport:
    """Counts per run; `cases` lists the tracking numbers (dry run: those it would do)."""

    dry_run: bool
    cases: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # photos, messages, surveys, replies

    def as_dict(self) -> dict[str, Any]:
        return {"cases": len(self.cases), **self.counts}


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
    from services.notify import api as notify  # notify imports intake's api at load time

    photos = list(CasePhoto.objects.filter(case=case))
    CasePhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    transaction.on_commit(lambda: discard_files(photos))
    Case.objects.filter(pk=case.pk).update(
        reporter_phone="",
        reporter_phone_hash="",
        reporter_name="",
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
    counts = notify.anonymise_case_messages(case.pk)
    record_note(case, action="anonymise", note=NOTE, public=False)
    return {"photos": len(photos), **counts}


def anonymise_closed_cases(
    *, tenant_slug: str | None = None, dry_run: bool = False, now: datetime | None = None
) -> RetentionReport:
    """Anonymises every tenant's (or one tenant's) cases past their retention period."""
    now = now or timezone.now()
    report = RetentionReport(dry_run=dry_run)
    for tenant in directory.tenants_with_retention(tenant_slug):
        days = tenant.retention_days
        if days is None:  # tenants_with_retention names only tenants with one
            continue
        for case in due_cases(tenant.pk, days, now):
            report.cases.append(case.tracking_number)
            if dry_run:
                continue
            with scopes_disabled(), transaction.atomic():
                report.counts.update(anonymise_case(case, now))
    logger.info("Retention%s: %s", " (dry run)" if dry_run else "", report.as_dict())
    return report


def rehash_phones() -> int:
    """After a PHONE_HASH_KEY (or SECRET_KEY) change: every stored hash recomputed from the
    numbers still stored, intake's and notify's; returns how many rows changed."""
    from services.notify import api as notify

    with scopes_disabled():
        cases = Case.objects.exclude(reporter_phone="")
        return rehash(cases, "reporter_phone", "reporter_phone_hash") + notify.rehash_phones()


@periodic.every(hours=24)
@task(queue_name="intake")
def anonymise_closed_cases_daily() -> dict[str, Any]:
    """The scheduled run, so operators need not cron the command."""
    return anonymise_closed_cases().as_dict()
