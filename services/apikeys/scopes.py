"""What a key may do (权限范围), narrowing what the staff member it acts as may do."""

from django.db import models
from django.utils.translation import gettext_lazy as _

CASES_SUBMIT = "cases.submit"
CASES_READ = "cases.read"
CASES_TRANSITION = "cases.transition"


class Scope(models.TextChoices):
    SUBMIT = CASES_SUBMIT, _("提交诉求 (cases.submit)")
    READ = CASES_READ, _("查询案件 (cases.read)")
    TRANSITION = CASES_TRANSITION, _("办理案件：签收、退回、办结、结案、备注 (cases.transition)")


ALL_SCOPES = frozenset(Scope.values)
