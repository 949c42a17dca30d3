"""Intake's events (受理与办理事件): every one a case changed, named by what happened.

Published by the submission and by each transition of the case workflow (services.TRANSITIONS
names which); other services subscribe to these classes.
"""

from services.eventbus.declarations import Event


class CaseChanged(Event):
    """What every case event says: which case (of the event's tenant)."""

    case_id: int


class CaseSubmitted(CaseChanged, name="case.submitted"):
    """受理: a submission was stored whole as a new case (any channel)."""


class CaseAssigned(CaseChanged, name="case.assigned"):
    """分拨 / 派单 / 改派: a lead department now holds the case."""

    rule_id: int | None = None  # the routing rule that chose it (分拨); None: a dispatcher


class CaseNeedsDispatch(CaseChanged, name="case.needs_dispatch"):
    """待派单: no routing rule matched; the command room dispatches by hand."""


class CaseSignedFor(CaseChanged, name="case.signed_for"):
    """签收: the department took the case on."""


class CaseReturned(CaseChanged, name="case.returned"):
    """退回: the department returned the case as not theirs."""


class CaseResolved(CaseChanged, name="case.resolved"):
    """办结: the department recorded its result."""


class CaseReopened(CaseChanged, name="case.reopened"):
    """重办: back to work after 办结 (a dissatisfied citizen, or the command room)."""


class CaseClosed(CaseChanged, name="case.closed"):
    """结案 / 说明结案 / 作废: the case is closed."""


class CaseEscalated(CaseChanged, name="case.escalated"):
    """督办: the case was escalated; `cause` is an EscalationCause (overdue, dissatisfied)."""

    cause: str
