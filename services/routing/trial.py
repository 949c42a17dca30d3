"""试运行: runs a case, real or sample, through a tenant's rules and says why each earlier
rule did not match. Nothing is assigned or stored."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.utils.translation import gettext as _

from services.directory.api import get_region
from services.intake import api as intake

from .models import RoutingDecision
from .nearest import OfficerChoice, choose_officer
from .rules import Routable, SampleCase, Verdict, explain, load_rules


@dataclass(frozen=True)
class Trial:
    case: Routable
    verdicts: list[Verdict]
    tracking_number: str = ""
    # The matched rule's nearest-officer choice as of now (who and how far, or why nobody).
    dispatch: OfficerChoice | None = None

    @property
    def match(self) -> Verdict | None:
        return next((v for v in self.verdicts if v.matched), None)


def try_existing_case(tenant_id: int | None, case_id: int) -> Trial:
    """An existing case as routing would see it now (rules its departments returned skipped).

    `tenant_id` is the user's tenant (None: the platform operator): other tenants' cases are
    refused as if they did not exist.
    """
    try:
        case = intake.get_case(case_id)
    except ObjectDoesNotExist:
        raise LookupError(_("找不到编号为 %(id)s 的案件。") % {"id": case_id}) from None
    if tenant_id is not None and case.tenant_id != tenant_id:
        raise LookupError(_("找不到编号为 %(id)s 的案件。") % {"id": case_id})
    skip = set(
        RoutingDecision.objects.filter(case_id=case_id, returned=True)
        .exclude(rule=None)
        .values_list("rule_id", flat=True)
    )
    rules = load_rules(case.tenant_id, include_inactive=True)
    return _trial(case.tenant_id, case, explain(rules, case, skip), case.tracking_number)


def _trial(tenant_id: int, case: Routable, verdicts: list[Verdict], number: str = "") -> Trial:
    match = next((v for v in verdicts if v.matched), None)
    dispatch = choose_officer(tenant_id, match.rule, case) if match else None
    return Trial(case, verdicts, number, dispatch)


def try_sample(
    tenant_id: int,
    *,
    scenario_code: str,
    region_id: int | None,
    channel: str,
    priority: int,
    description: str,
    extra: dict[str, Any],
    latitude: float | None = None,
    longitude: float | None = None,
) -> Trial:
    region_path = ""
    if region_id is not None:
        try:
            region_path = get_region(tenant_id, region_id).path
        except LookupError:
            raise PermissionDenied(_("只能选择本平台的区域。")) from None
    sample = SampleCase(
        scenario_code, region_path, channel, priority, description, extra, latitude, longitude
    )
    rules = load_rules(tenant_id, include_inactive=True)
    return _trial(tenant_id, sample, explain(rules, sample))


def parse_extra(text: str) -> dict[str, str]:
    """ "workers_affected=12" per line → {"workers_affected": "12"} (values compared as typed)."""
    extra = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValueError(_("无法识别“%(line)s”，每行应为 字段名=值") % {"line": line.strip()})
        extra[name.strip()] = value.strip()
    return extra
