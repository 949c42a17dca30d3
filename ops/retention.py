"""保存期限 across the services: a closed case past its tenant's retention period loses its
reporter's personal data in intake (the case, its timeline and photos) and in notify (its SMS,
surveys and replies), in one transaction per case, so no service keeps what another erased.

Here rather than in intake because it composes two services that each know only their own
rows; the daily run is scheduled like the other housekeeping.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from services.directory import api as directory
from services.eventbus import periodic
from services.intake import api as intake
from services.notify import api as notify

logger = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    """Counts per run; `cases` lists the tracking numbers (dry run: those it would do)."""

    dry_run: bool
    cases: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # photos, messages, surveys, replies

    def as_dict(self) -> dict[str, Any]:
        return {"cases": len(self.cases), **self.counts}


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
        for case_id, number in intake.cases_due_for_anonymisation(tenant.id, days, now):
            report.cases.append(number)
            if dry_run:
                continue
            with transaction.atomic():
                report.counts.update(intake.anonymise_case(case_id, now))
                report.counts.update(notify.anonymise_case_messages(case_id))
    logger.info("Retention%s: %s", " (dry run)" if dry_run else "", report.as_dict())
    return report


def rehash_phones() -> int:
    """After a PHONE_HASH_KEY (or SECRET_KEY) change: every stored hash recomputed from the
    numbers still stored, intake's and notify's; returns how many rows changed."""
    return intake.rehash_phones() + notify.rehash_phones()


@periodic.every(hours=24)
@task(queue_name="default")
def anonymise_closed_cases_daily() -> dict[str, Any]:
    """The scheduled run, so operators need not cron the command."""
    return anonymise_closed_cases().as_dict()
