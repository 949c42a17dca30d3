from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("已受理")
    NEEDS_DISPATCH = "needs_dispatch", _("待派单")
    ASSIGNED = "assigned", _("已分拨")
    IN_PROGRESS = "in_progress", _("处置中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已结案")


OPEN_STATES = [s for s in CaseState.values if s != CaseState.CLOSED]


class EscalationCause(models.TextChoices):
    """Why a case was escalated (督办), carried by `case.escalated` as "cause"."""

    OVERDUE = "overdue", _("超期")
    DISSATISFIED = "dissatisfied", _("市民再次不满意")
