"""The API's one error format: RFC 9457 (formerly 7807) problem details.

Every error the HTTP API under /api/ answers — validation, authentication, permission, a
missing case, a stale version, a rate limit, a database outage — is an
`application/problem+json` object:

    {"type": "about:blank", "title": "与当前状态冲突", "status": 409,
     "detail": "…what happened, in the reader's language…",
     "errors": {"field": ["message", …]}}          # only for invalid input

`type` is "about:blank" (the status says it all) or one of PROBLEM_TYPES' URNs, which a client
may branch on; `errors` maps field names to messages ("non_field_errors" for the request as a
whole). Views may return DRF's usual shapes ({"detail": …} or field → messages); the renderer
turns every error body into this one, so no view can answer in another format by accident.

Depends on nothing of the project (DRF and Django only): the edge middleware uses it too.
"""

from http import HTTPStatus
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"

INVALID = "urn:gongzhima:problem:invalid-request"
STALE_VERSION = "urn:gongzhima:problem:stale-version"
NOT_ALLOWED_NOW = "urn:gongzhima:problem:transition-not-allowed"
PROBLEM_TYPES = {
    INVALID: "the request's fields are invalid; see `errors`",
    STALE_VERSION: "the case changed since the `version` the client sent: read it again",
    NOT_ALLOWED_NOW: "the case's state does not allow this action (now)",
}


# The titles in the reader's language (the catalogue in the project's locale/); any other status
# has its HTTP reason phrase.
TITLES = {
    400: _("请求无效"),
    401: _("未认证"),
    403: _("无权操作"),
    404: _("未找到"),
    405: _("不支持该请求方法"),
    406: _("无法提供所需的格式"),
    409: _("与当前状态冲突"),
    410: _("已停用"),
    413: _("请求体过大"),
    415: _("不支持的请求体格式"),
    429: _("请求过于频繁"),
    500: _("系统出错"),
    503: _("服务暂不可用"),
}


def problem_body(
    status: int,
    detail: str = "",
    *,
    type_: str = "about:blank",
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_,
        "title": str(TITLES.get(status, HTTPStatus(status).phrase)),
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if errors:
        body["errors"] = errors
    return body


def _messages(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, dict):  # a nested serializer's errors: flattened, names kept
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    return [str(value)]


def as_problem(status: int, data: Any) -> dict[str, Any]:
    """A DRF-shaped error body ({"detail": …} or field → messages) as a problem body."""
    if isinstance(data, dict) and "status" in data and "type" in data:
        return data  # already one
    if isinstance(data, dict) and set(data) <= {"detail", "code"} and "detail" in data:
        return problem_body(status, str(data["detail"]))
    if isinstance(data, dict):
        errors = {str(k): _messages(v) for k, v in data.items()}
        first = next(iter(errors.values()), [""])
        return problem_body(status, first[0] if first else "", type_=INVALID, errors=errors)
    if isinstance(data, list):  # ValidationError(["…"]): about the request as a whole
        errors = {"non_field_errors": _messages(data)}
        return problem_body(status, errors["non_field_errors"][0], type_=INVALID, errors=errors)
    return problem_body(status, "" if data is None else str(data))


class ProblemJSONRenderer(JSONRenderer):
    """JSON, with every error answer of the API as a problem (and labelled as one)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response, request = context.get("response"), context.get("request")
        if (
            response is not None
            and response.status_code >= 400
            and request is not None
            and request.path.startswith(API_PREFIX)
        ):
            data = as_problem(response.status_code, data)
            response["Content-Type"] = PROBLEM_MEDIA_TYPE
        return super().render(data, accepted_media_type, renderer_context)


def document_problems(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: every documented error response is a Problem in
    application/problem+json, and every operation that needs credentials documents its 401
    (no or bad key) and 403 (authenticated, not allowed)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", _problem_schema())
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            security = operation.get("security")
            if security is not None and {} not in security:  # anonymous callers not served
                responses.setdefault("401", {"description": "no, unknown or revoked API key"})
                responses.setdefault("403", {"description": "authenticated, but not allowed"})
            for code, response in responses.items():
                if str(code).isdigit() and int(code) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
                    response.setdefault("description", HTTPStatus(int(code)).phrase)
    return result


def _problem_schema() -> dict:
    return {
        "type": "object",
        "description": "RFC 9457 problem details: the body of every error answer of this API.",
        "properties": {
            "type": {
                "type": "string",
                "description": "about:blank, or one of: "
                + "; ".join(f"{urn} ({meaning})" for urn, meaning in PROBLEM_TYPES.items()),
            },
            "title": {
                "type": "string",
                "description": "what kind of problem, in the request's language",
            },
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "what happened, in the request's language"},
            "errors": {
                "type": "object",
                "description": "invalid input only: field name → messages "
                "(non_field_errors: the request as a whole)",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["type", "title", "status", "detail"],
    }
