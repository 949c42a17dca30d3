"""Public interface of notify: what the pages call for the web survey, and the outbox's state."""

from django.db.models import Count
from django_scopes import scopes_disabled

from .models import Message
from .services import answer_survey, survey_by_token

__all__ = ["answer_survey", "sms_counts", "survey_by_token"]


def sms_counts() -> dict[tuple[int, str], int]:
    """SMS in the outbox by (tenant id, state), all tenants: for operators' metrics."""
    with scopes_disabled():
        rows = Message.objects.values("tenant_id", "state").annotate(n=Count("id")).order_by()
        return {(row["tenant_id"], row["state"]): row["n"] for row in rows}
