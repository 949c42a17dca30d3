"""Routing's tables: rules and decisions, deadline policies and the working calendar, and the
deadlines of each assignment (cases themselves live in intake and are referred to by id)."""

from .config import RoutingConfigVersion
from .deadlines import CaseDeadline, DeadlineExtension, DeadlinePolicy, TimeUnit
from .rules import RoutingDecision, RoutingRule
from .workcalendar import CalendarDay, WorkCalendar

__all__ = [
    "CalendarDay",
    "CaseDeadline",
    "DeadlineExtension",
    "DeadlinePolicy",
    "RoutingConfigVersion",
    "RoutingDecision",
    "RoutingRule",
    "TimeUnit",
    "WorkCalendar",
]
