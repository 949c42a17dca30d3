"""Open311 GeoReport v2 (开放311接口) over intake: a tenant's scenarios as services, its cases
as service requests, one submission path (intake's), errors as the spec's [{code, description}].

Plain functions: they take the request's parameters and return the spec's documents, or raise
Open311Error with the HTTP status and descriptions the spec asks for. The views render them.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from services.apikeys import api as apikeys
from services.directory import api as directory
from services.identifiers.tracking_numbers import normalise_tracking_number
from services.intake import api as intake

from .formats import w3c

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed in a way a client would notice (discovery's changeset).
CHANGESET = "2026-12-01T00:00:00+08:00"
# The spec's default window and page: the most recent 90 days, at most 1000 requests.
WINDOW = timedelta(days=90)
PAGE_SIZE = 1000

# Scenario field kinds (intake's ScenarioField.Kind values) → the spec's attribute datatypes.
DATATYPES = {
    "text": "string",
    "textarea": "text",
    "integer": "number",
    "decimal": "number",
    "date": "datetime",
    "choice": "singlevaluelist",
    "multichoice": "multivaluelist",
}
MULTIPLE = "multichoice"
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
ATTRIBUTE = re.compile(r"attribute\[(?P<code>[^\[\]]+)\](?P<many>\[\])?")

# Where each field of intake's submission form came from in Open311's parameters, so an
# error names what the client sent.
PARAMETER_OF = {
    "description": "description",
    "reporter_phone": "phone",
    "reporter_name": "first_name",
    "latitude": "lat",
    "longitude": "long",
    "place_label": "address_string",
}


class Open311Error(Exception):
    """Refused with HTTP `status`, as [{code, description}, …] (one per description)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = descriptions

    def document(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": d} for d in self.descriptions]


def discovery(endpoint_url: str) -> dict[str, Any]:
    """The Service Discovery document: one production endpoint, both formats."""
    return {
        "changeset": CHANGESET,
        "contact": _("请联系所在县（市）共治码平台的管理员。"),
        "key_service": _("api_key 由各平台管理员在管理后台（接口密钥）签发。"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def jurisdiction(params: QueryDict) -> directory.TenantInfo:
    """The tenant `jurisdiction_id` names (its slug). The spec requires it only where an
    endpoint serves several jurisdictions: a platform running one county may leave it out."""
    slug = (params.get("jurisdiction_id") or "").strip()
    if not slug:
        only = directory.tenant_ids()
        if len(only) == 1:
            return directory.get_tenant(only[0])
        raise Open311Error(400, _("缺少 jurisdiction_id（平台代码）。"))
    # Only a slug can name a tenant; anything else (a NUL byte PostgreSQL refuses) is not asked.
    tenant = directory.tenant_by_slug(slug) if SLUG.fullmatch(slug) else None
    if tenant is None:
        raise Open311Error(
            404, _("没有代码为“%(slug)s”的平台（jurisdiction_id）。") % {"slug": slug}
        )
    return tenant


# --- services ---------------------------------------------------------------------------------


def service_list(tenant) -> list[dict[str, Any]]:
    """GET services: the tenant's active scenarios (场景)."""
    return [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.intro,
            "metadata": bool(s.fields),
            "type": "realtime",  # the tracking number is answered at once: no tokens
            "keywords": "",
            "group": "",
        }
        for s in intake.published_scenarios(tenant.id)
    ]


def _scenario(tenant, code: str) -> intake.ScenarioView:
    for scenario in intake.published_scenarios(tenant.id):
        if scenario.code == code:
            return scenario
    raise _no_such_service(tenant, code)


def _no_such_service(tenant, code: str) -> Open311Error:
    return Open311Error(
        404,
        _("平台“%(slug)s”没有代码为“%(code)s”的服务（service_code）。")
        % {"slug": tenant.slug, "code": code},
    )


def _number(value) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def _datatype_description(field: intake.ScenarioFieldView) -> str:
    """What the client must send, in words (the limits the submission form enforces)."""
    low, high = _number(field.min_value), _number(field.max_value)
    bounds = {"min": low, "max": high}
    if field.kind == "date":
        text = _("日期，格式 YYYY-MM-DD")
        if low or high:
            text += _("（相对提交当天的天数范围：%(min)s 至 %(max)s）") % bounds
        return text
    if field.kind in ("integer", "decimal"):
        text = _("整数") if field.kind == "integer" else _("数字，最多两位小数")
        if low or high:
            text += _("，范围 %(min)s 至 %(max)s") % bounds
        return text
    if field.kind == MULTIPLE:
        return _("可多选：attribute[%(code)s][]=选项，每个选项一项") % {"code": field.name}
    if field.kind == "choice":
        return _("单选，取 values 中的一个 key")
    return _("最多 %(count)s 个字") % {"count": field.max_length}


def service_definition(tenant, code: str) -> dict[str, Any]:
    """GET services/{code}: the scenario's fields as attributes, in the form's order."""
    scenario = _scenario(tenant, code)
    return {
        "service_code": scenario.code,
        "attributes": [
            {
                "variable": True,
                "code": field.name,
                "datatype": DATATYPES.get(field.kind, "string"),
                "required": field.required,
                "datatype_description": _datatype_description(field),
                "order": order,
                "description": (
                    f"{field.label}：{field.help_text}" if field.help_text else field.label
                ),
                "values": [{"key": choice, "name": choice} for choice in field.choices],
            }
            for order, field in enumerate(scenario.fields, start=1)
        ],
    }


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """A partner system with a valid key of the jurisdiction, and the staff member it acts
    as (None for a submit-only key)."""

    key: Any  # apikeys.KeyIdentity
    user: Any


def _presented_key(request: HttpRequest) -> str:
    """The key as the spec sends it (api_key in the POST body) or in a header: Bearer or
    X-Api-Key as the machine API takes it, or HTTP Basic (the key as user name) for clients
    that carry credentials only in the endpoint URL. Never from the query string: a URL ends
    up in access logs."""
    if request.method == "POST" and request.POST.get("api_key"):
        return request.POST["api_key"]
    if request.headers.get("X-Api-Key"):
        return request.headers["X-Api-Key"]
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        user, _colon, password = decoded.partition(":")
        return user or password
    return ""


def caller(request: HttpRequest, tenant, scope: str, action: str) -> Caller:
    """The calling partner, or Open311Error: 401 without a valid key, 403 for a key of
    another jurisdiction or without `scope` (`action` says what it was refused, in words)."""
    raw = _presented_key(request)
    if not raw:
        raise Open311Error(401, _("缺少 api_key。"))
    key = apikeys.authenticate(raw)
    if key is None:
        raise Open311Error(401, _("api_key 无效或已吊销。"))
    if key.tenant_id != tenant.id:
        raise Open311Error(403, _("该 api_key 不属于平台“%(slug)s”。") % {"slug": tenant.slug})
    if not key.allows(scope):
        raise Open311Error(
            403,
            _("该 api_key 无权%(action)s（需要权限范围 %(scope)s）。")
            % {"action": action, "scope": scope},
        )
    user = None
    if key.acts_as_user_id is not None:
        user = get_user_model().objects.filter(pk=key.acts_as_user_id).first()
    return Caller(key, user)


# --- POST requests ------------------------------------------------------------------------------


def _reporter_name(first: str, last: str) -> str:
    """A Chinese name reads family name first, with no space; other names as given."""
    first, last = first.strip(), last.strip()
    if not (first and last):
        return first or last
    if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}"


def _attributes(params: QueryDict, scenario: intake.ScenarioView) -> dict[str, Any]:
    """attribute[code]=value (attribute[code][]=value for a multivaluelist) → the scenario's
    fields; a code the scenario does not declare is refused, never passed on."""
    kinds = {f.name: f.kind for f in scenario.fields}
    values: dict[str, Any] = {}
    unknown = []
    for key in params:
        match = ATTRIBUTE.fullmatch(key)
        if match is None:
            continue
        code = match["code"]
        if code not in kinds:
            unknown.append(code)
        elif kinds[code] == MULTIPLE:
            values[code] = [v for v in params.getlist(key) if v != ""]
        else:
            values[code] = params.get(key)
    if unknown:
        raise Open311Error(
            400,
            *(
                _("服务“%(service)s”没有属性“%(code)s”（见服务定义）。")
                % {"service": scenario.code, "code": code}
                for code in sorted(unknown)
            ),
        )
    return values


def _submission(params: QueryDict, scenario: intake.ScenarioView) -> dict[str, Any]:
    """The spec's parameters as intake's submission (the one form every channel fills)."""
    lat, long = params.get("lat", "").strip(), params.get("long", "").strip()
    address = params.get("address_string", "").strip() or params.get("address_id", "").strip()
    if not (lat or long or address):
        # The spec needs a location; our forms do not, so this check is Open311's own.
        raise Open311Error(400, _("请提供位置：lat 和 long，或 address_string（或 address_id）。"))
    data = {
        "description": params.get("description", ""),
        "reporter_phone": params.get("phone", ""),
        "reporter_name": _reporter_name(params.get("first_name", ""), params.get("last_name", "")),
        "latitude": lat,
        "longitude": long,
        "place_label": address,
        # email, device_id, account_id and media_url are not kept: citizens hear from us by
        # SMS, and a remote URL is not fetched (photos are checked uploads only).
        **_attributes(params, scenario),
    }
    return {name: value for name, value in data.items() if value not in ("", None, [])}


def _invalid(errors: dict[str, list[str]], scenario: intake.ScenarioView) -> Open311Error:
    declared = {f.name for f in scenario.fields}
    descriptions = []
    for name, messages in errors.items():
        parameter = PARAMETER_OF.get(name) or (f"attribute[{name}]" if name in declared else "")
        descriptions += [f"{parameter}: {m}" if parameter else m for m in messages]
    return Open311Error(400, *descriptions)


def submit(request: HttpRequest) -> list[dict[str, Any]]:
    """POST requests: the one submission path (intake's), as the key's staff member when it
    acts as one. The answer carries the tracking number (受理编号) as service_request_id."""
    params = request.POST
    tenant = jurisdiction(params)
    partner = caller(request, tenant, apikeys.CASES_SUBMIT, _("提交诉求"))
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    scenario = _scenario(tenant, code)
    data = _submission(params, scenario)
    try:
        case = intake.submit_for_partner(tenant.id, code, data, officer=partner.user)
    except LookupError as missing:
        raise _no_such_service(tenant, code) from missing
    except PermissionDenied as refused:
        raise Open311Error(403, _("该 api_key 代表的工作人员无权代市民登记诉求。")) from refused
    except intake.SubmissionInvalid as invalid:
        raise _invalid(invalid.errors, scenario) from invalid
    notice = _("已受理，受理编号 %(number)s。我们将在 %(days)s 个工作日内答复。") % {
        "number": case.tracking_number,
        "days": case.promise_days,
    }
    return [
        {"service_request_id": case.tracking_number, "service_notice": notice, "account_id": None}
    ]


# --- GET requests -----------------------------------------------------------------------------


def _listed(params: QueryDict, name: str) -> list[str]:
    """A comma-separated parameter, which the spec also allows to repeat."""
    return [item.strip() for raw in params.getlist(name) for item in raw.split(",") if item.strip()]


def _moment(params: QueryDict, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Open311Error(
            400,
            _("%(name)s 应为带时区的 W3C 时间，例如 2026-01-01T00:00:00+08:00。") % {"name": name},
        )
    return moment


def _whole(params: QueryDict, name: str, default: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= high:
        raise Open311Error(
            400, _("%(name)s 应为 1 至 %(high)s 之间的整数。") % {"name": name, "high": high}
        )
    return int(raw)


def _window(params: QueryDict) -> tuple[datetime, datetime]:
    """The spec's date range: at most 90 days, the most recent 90 when neither end is given."""
    given_start, given_end = _moment(params, "start_date"), _moment(params, "end_date")
    if given_start is None:
        end = given_end or timezone.now()
        start = end - WINDOW
    else:
        start, end = given_start, given_end or given_start + WINDOW
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date 至 end_date 不能超过 90 天。"))
    return start, end


def case_filter(params: QueryDict, tenant) -> intake.CaseFilter:
    """The spec's filters, each checked: a value that cannot match is a 400, not an empty list."""
    numbers = _listed(params, "service_request_id")
    if numbers:  # the spec: "This overrides all other arguments."
        if len(numbers) > intake.MAX_TRACKING_NUMBERS:
            raise Open311Error(
                400,
                _("service_request_id 一次最多 %(count)s 个。")
                % {"count": intake.MAX_TRACKING_NUMBERS},
            )
        normalised = [normalise_tracking_number(n) for n in numbers]
        malformed = [raw for raw, n in zip(numbers, normalised, strict=True) if not n]
        if malformed:
            raise Open311Error(
                400, *(_("“%(id)s”不是受理编号。") % {"id": raw} for raw in malformed)
            )
        return intake.CaseFilter(tracking_numbers=tuple(normalised))
    codes = _listed(params, "service_code")
    known = {s.code for s in intake.published_scenarios(tenant.id, active_only=False)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Open311Error(
            400, *(_("没有代码为“%(code)s”的服务（service_code）。") % {"code": c} for c in unknown)
        )
    statuses = {s.lower() for s in _listed(params, "status")}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status 只能是 open 或 closed。"))
    start, end = _window(params)
    page_size = _whole(params, "page_size", PAGE_SIZE, PAGE_SIZE)
    page = _whole(params, "page", 1, 10**6)
    return intake.CaseFilter(
        scenario_codes=tuple(codes) or None,
        open=(statuses == {"open"}) if len(statuses) == 1 else None,
        submitted_from=start,
        submitted_until=end,
        offset=(page - 1) * page_size,
        limit=page_size,
    )


def request_document(case: intake.PartnerCase) -> dict[str, Any]:
    """One service request: open until 结案, the detailed state and its latest public note in
    status_notes. No reporter; coordinates only where intake shows them to partners."""
    notes = case.state_label
    if case.latest_public_note and case.latest_public_note != case.state_label:
        notes = f"{case.state_label}：{case.latest_public_note}"
    return {
        "service_request_id": case.tracking_number,
        "status": "open" if case.is_open else "closed",
        "status_notes": notes,
        "service_name": case.scenario_name,
        "service_code": case.scenario_code,
        "description": case.description,
        "agency_responsible": case.department_name or None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": None,
        "address": case.place_label or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": None,
    }


def _reader(request: HttpRequest, tenant) -> Any:
    partner = caller(request, tenant, apikeys.CASES_READ, _("查询案件"))
    if partner.user is None:  # a read key always acts as someone (apikeys checks it)
        raise Open311Error(403, _("该 api_key 未指定代表的工作人员，不能查询案件。"))
    return partner.user


def service_requests(request: HttpRequest) -> list[dict[str, Any]]:
    """GET requests: the cases the key's staff member may read, newest first."""
    tenant = jurisdiction(request.GET)
    user = _reader(request, tenant)
    wanted = case_filter(request.GET, tenant)
    return [request_document(c) for c in intake.partner_cases(user, wanted)]


def service_request(request: HttpRequest, raw_id: str) -> list[dict[str, Any]]:
    """GET requests/{id}: one case by its tracking number, in any spelling citizens use."""
    tenant = jurisdiction(request.GET)
    user = _reader(request, tenant)
    number = normalise_tracking_number(raw_id)
    found = number and intake.partner_cases(user, intake.CaseFilter(tracking_numbers=(number,)))
    if not found:
        raise Open311Error(404, _("没有受理编号为“%(id)s”的案件，或无权查看。") % {"id": raw_id})
    return [request_document(found[0])]


def token(raw_token: str) -> list[dict[str, Any]]:
    """GET tokens/{token}: every service is realtime (the tracking number is answered with
    the POST), so no token is ever issued and none is found."""
    raise Open311Error(
        404,
        _(
            "令牌“%(token)s”不存在：本接口的服务均为实时受理（type=realtime），提交时即返回受理编号。"
        )
        % {"token": raw_token},
    )


def endpoint_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/open311/v2"
