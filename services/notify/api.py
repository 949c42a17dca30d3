"""Public interface of notify: the citizen's web survey, staff's in-app alerts, and the
outbox's state for operators' metrics.

Other services and the pages get plain snapshots, never notify's model instances.
"""

from django.db.models import Count
from django_scopes import scopes_disabled

from .alerts import (
    StaffAlert,
    mark_alerts_read,
    open_alert,
    recent_alerts,
    unread_alert_count,
    unread_alerts,
)
from .models import Message, Survey
from .retention import anonymise_case_messages, rehash_phones
from .texts import install_defaults
from .web_survey import SurveyView, answer_survey_by_token, survey_by_token

__all__ = [
    "StaffAlert",
    "SurveyView",
    "anonymise_case_messages",
    "answer_survey_by_token",
    "install_default_templates",
    "mark_read",
    "open_alert",
    "recent_alerts",
    "rehash_phones",
    "sms_counts",
    "survey_by_token",
    "unread_alert_count",
    "unread_notifications",
]


def unread_notifications(user_id: int) -> list[StaffAlert]:
    """The user's unread 督办提醒, newest first."""
    return unread_alerts(user_id)


def mark_read(user_id: int, notification_ids: list[int] | None = None) -> int:
    """Marks the user's own alerts read (all when `notification_ids` is None); returns how many.
    Ids of other users' alerts are ignored."""
    return mark_alerts_read(user_id, notification_ids)


def install_default_templates(tenant_id: int) -> int:
    """Gives a tenant editable copies of the default SMS templates (e.g. for a demo)."""
    return install_defaults(tenant_id)


def sms_counts() -> dict[tuple[int, str], int]:
    """SMS in the outbox by (tenant id, state), all tenants: for operators' metrics."""
    with scopes_disabled():
        rows = Message.objects.values("tenant_id", "state").annotate(n=Count("id")).order_by()
        return {(row["tenant_id"], row["state"]): row["n"] for row in rows}


def survey_rating_counts() -> dict[tuple[int, int], int]:
    """Answered surveys (满意度回访) by (tenant id, rating), all tenants: for operators' metrics."""
    with scopes_disabled():
        rows = (
            Survey.objects.filter(rating__isnull=False)
            .values("tenant_id", "rating")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {(row["tenant_id"], row["rating"]): row["n"] for row in rows}  # type: ignore[misc]  # non-null
