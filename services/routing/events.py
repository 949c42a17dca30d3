"""Routing's events (时限事件): a deadline changed colour, found by the scheduled check."""

from services.eventbus.declarations import Event


class DeadlineEvent(Event):
    """Which case's deadline, and the department it binds."""

    case_id: int
    department_id: int | None = None


class CaseDueSoon(DeadlineEvent, name="case.due_soon"):
    """临期 (黄牌): a deadline turned yellow; once per deadline."""


class CaseOverdue(DeadlineEvent, name="case.overdue"):
    """超期 (红牌): a deadline turned red and the case was escalated; once per deadline."""
