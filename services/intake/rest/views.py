"""Intake's HTTP API: public submission through an entry point's token; staff (or a partner
system's API key acting as a member of staff) submission, reading, and the staff transitions.
Thin: the same submission path as the pages (api.submit_*), the same transition path as the
admin (api.take_transition_at_version), scoping in access.py.

Errors are RFC 9457 problem details (services/problems.py): field → messages go in `errors`,
with `non_field_errors` for the request as a whole.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from services import problems, public_urls
from services.apikeys.api import CASES_READ, CASES_SUBMIT, CASES_TRANSITION, HasScope, KeyIdentity
from services.directory import api as directory
from services.identifiers.tracking_numbers import normalise_tracking_number

from ...json_bodies import JSONParser
from .. import access, api, catalog
from ..models import Case, Scenario
from .serializers import (
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseListSerializer,
    CloseSerializer,
    EntryPointSerializer,
    NoteSerializer,
    ReceiptSerializer,
    ResolveSerializer,
    ReturnSerializer,
    StaffSubmissionSerializer,
    SubmissionSerializer,
    TransitionSerializer,
)

logger = logging.getLogger(__name__)

PARSERS = [JSONParser, MultiPartParser, FormParser]
SCALARS = (str, int, float)

# Error answers: their body is a Problem (services.problems documents it in the schema).
INVALID = OpenApiResponse(description="invalid input: the problem's `errors`, field → messages")
NOT_FOUND = OpenApiResponse(description="no such case, or not one the caller may read")
FORBIDDEN = OpenApiResponse(description="authenticated, but not allowed to do this")
GONE = OpenApiResponse(description="the entry point has been deactivated")
CONFLICT = OpenApiResponse(
    description=f"{problems.STALE_VERSION}: the case changed since `version`; "
    f"{problems.NOT_ALLOWED_NOW}: its state does not allow this action"
)


def _errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {("non_field_errors" if k == "__all__" else k): v for k, v in errors.items()}


def _plain(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):  # a bool is an int to Python, but no field takes one
        return False
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return isinstance(value, SCALARS)


def _submission(request: Request) -> tuple[Any, Any, dict[str, list[str]]]:
    """(data, files, shape errors): JSON must be an object of texts, numbers or lists of
    texts; the submission form checks everything else, as on every channel."""
    if isinstance(request.data, QueryDict):  # multipart / form: files travel separately
        # request.POST is the form's fields without its files. Copying request.data would
        # deep-copy the files too, and an upload spooled to disk (above
        # FILE_UPLOAD_MAX_MEMORY_SIZE) is an open file that cannot be copied.
        return request.POST.copy(), request.FILES, {}
    if not isinstance(request.data, dict):
        return None, None, {"non_field_errors": [_("请求体必须是一个 JSON 对象。")]}
    shape_errors = {
        name: [_("只能是文本、数字或文本列表。")]
        for name, value in request.data.items()
        if not _plain(value)
    }
    data = {k: v for k, v in request.data.items() if v is not None}
    return data, None, shape_errors


def _receipt(request: Request, case: api.CaseSnapshot) -> Response:
    body = {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_label": case.state_label,
        "status_url": public_urls.case_status(case.access_key),
    }
    return Response(body, status=status.HTTP_201_CREATED)


def _usable_entry_point(token: str) -> api.EntryPointView | Response:
    """The active entry point behind a token, or the response that refuses it (404 / 410)."""
    ep = api.entry_point(token)
    if ep is None:
        return _problem(status.HTTP_404_NOT_FOUND, _("二维码不存在。"))
    return ep if ep.active else _inactive(ep)


class EntryPointView(APIView):
    """An entry point's scenario and the fields its submissions take."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="entry_point",
        responses={
            200: EntryPointSerializer,
            404: OpenApiResponse(description="no such entry point"),
            410: GONE,
        },
        tags=["public"],
    )
    def get(self, request: Request, token: str) -> Response:
        ep = _usable_entry_point(token)
        if isinstance(ep, Response):
            return ep
        # intake's own cached entry point: the scenario's fields and photo limit
        scenario = catalog.entry_point(token).scenario  # type: ignore[union-attr]  # found above
        body = {
            "token": ep.token,
            "tenant": ep.tenant_name,
            "scenario_code": scenario.code,
            "scenario_name": scenario.name,
            "intro": scenario.intro,
            "place_label": ep.place_label,
            "max_photos": scenario.max_photos,
            "fields": list(scenario.fields.all()),
        }
        return Response(EntryPointSerializer(body).data)


def _inactive(ep: api.EntryPointView) -> Response:
    message = _("该二维码已停用。如需反映问题，请拨打%(tenant)s服务热线 %(hotline)s。") % {
        "tenant": ep.tenant_name,
        "hotline": ep.tenant_hotline or "12345",
    }
    return _problem(status.HTTP_410_GONE, message)


class EntryPointSubmissionView(APIView):
    """A citizen's (or an integrated system's) submission through an entry point's token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = PARSERS

    @extend_schema(
        operation_id="submit_via_entry_point",
        request=SubmissionSerializer,
        responses={
            201: ReceiptSerializer,
            400: INVALID,
            404: OpenApiResponse(description="no such entry point"),
            410: GONE,
            429: OpenApiResponse(
                description="too many submissions from this client or for this phone number "
                "(settings.RATE_LIMITS); retry after the Retry-After header's seconds",
            ),
        },
        tags=["public"],
    )
    def post(self, request: Request, token: str) -> Response:
        ep = _usable_entry_point(token)
        if isinstance(ep, Response):
            return ep
        data, files, shape_errors = _submission(request)
        if shape_errors:
            return Response(shape_errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            case = api.submit_via_entry_point(token, data, files, channel=Case.Channel.API)
        except api.SubmissionInvalid as invalid:
            return Response(_errors(invalid.errors), status=status.HTTP_400_BAD_REQUEST)
        except LookupError:
            return _inactive(ep)
        return _receipt(request, case)


def _problem(code: int, detail: str, type_: str = "about:blank") -> Response:
    return Response(problems.problem_body(code, detail, type_=type_), status=code)


class NewestFirst(CursorPagination):
    ordering = "-created_at"
    page_size = 50


class CaseListView(generics.ListAPIView):
    """Cases the caller may read (their tenant's, or their departments'), newest first.
    An API key needs the scope `cases.read` to list, `cases.submit` to register a request."""

    serializer_class = CaseListSerializer
    pagination_class = NewestFirst
    parser_classes = PARSERS

    def get_permissions(self):
        # An API key needs the scope of what it does: reading, or submitting for a citizen.
        return [HasScope(CASES_SUBMIT if self.request.method == "POST" else CASES_READ)()]

    def get_queryset(self):
        cases = access.readable_cases(self.request.user)
        wanted = self._filters()
        if wanted.get("state"):
            cases = cases.filter(state__in=sorted(wanted["state"]))
        if "scenario" in wanted:
            cases = cases.filter(scenario__code=wanted["scenario"])
        if "channel" in wanted:
            cases = cases.filter(channel=wanted["channel"])
        if "priority" in wanted:
            cases = cases.filter(priority=wanted["priority"])
        if "updated_after" in wanted:
            cases = cases.filter(updated_at__gt=wanted["updated_after"])
        return cases

    def _filters(self) -> dict[str, Any]:
        """The validated filters, or a 400 naming each unknown parameter and bad value."""
        params = self.request.query_params
        query = CaseFilterSerializer(data=params)
        valid = query.is_valid()
        errors = dict(query.errors) if not valid else {}
        known = {*CaseFilterSerializer().fields, "cursor"}
        for name in params:
            if name not in known:
                errors[name] = [_("未知的查询参数。")]
        code = query.validated_data.get("scenario") if valid else None
        if code and not self._scenario_exists(code):
            errors["scenario"] = [_("本平台没有代码为“%(code)s”的场景。") % {"code": code}]
        if errors:
            raise DRFValidationError(errors)
        return query.validated_data

    def _scenario_exists(self, code: str) -> bool:
        staff = directory.staff_info(self.request.user)
        with scopes_disabled():
            scenarios = Scenario.objects.filter(code=code)
            if staff is not None:
                scenarios = scenarios.filter(tenant_id=staff.tenant_id)
            return scenarios.exists()

    @extend_schema(
        operation_id="list_cases",
        parameters=[CaseFilterSerializer],
        responses={
            200: CaseListSerializer(many=True),
            400: INVALID,
            403: FORBIDDEN,
            404: OpenApiResponse(description="an invalid cursor"),
        },
        tags=["staff"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="submit_for_citizen",
        request=StaffSubmissionSerializer,
        responses={
            201: ReceiptSerializer,
            400: INVALID,
            403: FORBIDDEN,
        },
        tags=["staff"],
    )
    def post(self, request: Request) -> Response:
        """A member of staff registers a citizen's request (channel `api`)."""
        data, files, shape_errors = _submission(request)
        if shape_errors:
            return Response(shape_errors, status=status.HTTP_400_BAD_REQUEST)
        code = data.pop("scenario", "")  # data is _submission's own copy
        if isinstance(code, list):  # a form-encoded field, or a JSON list
            code = code[-1] if code else ""
        try:
            case = api.submit_for_staff(
                request.user, str(code), data, files, channel=Case.Channel.API
            )
        except LookupError:
            return Response(
                {"scenario": [_("本平台没有代码为“%(code)s”的场景。") % {"code": code}]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except api.SubmissionInvalid as invalid:
            return Response(_errors(invalid.errors), status=status.HTTP_400_BAD_REQUEST)
        return _receipt(request, case)


class CaseDetailView(generics.RetrieveAPIView):
    """One case with its full timeline and photos, by tracking number (key scope `cases.read`)."""

    serializer_class = CaseDetailSerializer
    permission_classes = [HasScope(CASES_READ)]
    lookup_field = "tracking_number"

    def get_queryset(self):
        return access.readable_cases(self.request.user).prefetch_related("timeline", "photos")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_reader_context(self.request)}

    def get_object(self) -> Case:
        found = _readable_case(self.request, self.kwargs["tracking_number"])
        self.check_object_permissions(self.request, found)
        return self.get_queryset().get(pk=found.pk)

    @extend_schema(
        operation_id="get_case",
        responses={200: CaseDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["staff"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


def _reader_context(request: Request) -> dict[str, Any]:
    """Who reads the case, for what the serializer shows of the reporter."""
    return {"reader": directory.staff_info(request.user), "operator": request.user.is_superuser}


def _readable_case(request: Request, tracking_number: str) -> Case:
    """The case by its number among those the caller reads: another tenant's, or one the caller
    may not read, is as absent as a number never issued (404)."""
    # DRF's default answer is Django's untranslated "No Case matches the given query."
    number = normalise_tracking_number(tracking_number)
    found = access.readable_cases(request.user).filter(tracking_number=number).first()
    if found is None:
        raise NotFound(_("没有找到这个受理编号的案件，或您无权查看。"))
    return found


class CaseActionView(APIView):
    """A staff transition of one case (签收, 退回, 办结, 说明结案) through the same path as the
    admin's buttons: the policy decides who may, the workflow whether the case's state allows
    it now, and `version` whether the caller saw the case as it is."""

    permission_classes = [HasScope(CASES_TRANSITION)]
    parser_classes = PARSERS
    transition = ""
    input_serializer: type = TransitionSerializer
    note_field = "note"

    def post(self, request: Request, tracking_number: str) -> Response:
        case = _readable_case(request, tracking_number)
        body = self.input_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data
        extra = {"files": request.FILES.getlist("files")} if self.transition == "resolve" else {}
        try:
            api.take_transition_at_version(
                case.pk,
                self.transition,
                request.user,
                given["version"],
                note=given.get(self.note_field, ""),
                **extra,
            )
        except PermissionDenied as refused:
            return _problem(status.HTTP_403_FORBIDDEN, str(refused))
        except api.StaleVersion as stale:
            return _problem(status.HTTP_409_CONFLICT, str(stale), problems.STALE_VERSION)
        except api.CaseConflict as conflict:
            return _problem(status.HTTP_409_CONFLICT, str(conflict), problems.NOT_ALLOWED_NOW)
        except ValidationError as invalid:  # a result file that is not a photo or a PDF
            raise DRFValidationError({"files": invalid.messages}) from invalid
        if isinstance(request.auth, KeyIdentity):
            # The timeline names the person the key acts as; the log says which key it was.
            logger.info(
                "API key %s took %s on case %s", request.auth.key_id, self.transition, case.pk
            )
        return _case_answer(request, case.pk, status.HTTP_200_OK)


def _case_answer(request: Request, case_id: int, code: int) -> Response:
    with scopes_disabled():
        case = (
            Case.objects.select_related("scenario", "region", "department")
            .prefetch_related("timeline", "photos")
            .get(pk=case_id)
        )
    context = {"request": request, **_reader_context(request)}
    return Response(CaseDetailSerializer(case, context=context).data, status=code)


def _action_schema(operation_id: str, request, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request,
        responses={
            200: CaseDetailSerializer,
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        tags=["staff"],
    )


def _action_view(
    name: str, transition: str, body: type, note_field: str, operation_id: str, summary: str
) -> type[CaseActionView]:
    """One transition's view: the shared CaseActionView with its input and its schema."""
    view = type(
        name,
        (CaseActionView,),
        {
            "transition": transition,
            "input_serializer": body,
            "note_field": note_field,
            "__doc__": f"{summary}. Key scope `cases.transition`; the policy decides as for "
            "the member of staff the key acts as.",
            "__module__": __name__,
        },
    )
    return extend_schema_view(post=_action_schema(operation_id, body, summary))(view)


SignForView = _action_view(
    "SignForView",
    "sign_for",
    TransitionSerializer,
    "note",
    "sign_for_case",
    "签收: the lead department accepts the case",
)
ReturnView = _action_view(
    "ReturnView",
    "return_case",
    ReturnSerializer,
    "reason",
    "return_case",
    "退回: not this department's case; routing tries again",
)
ResolveView = _action_view(
    "ResolveView",
    "resolve",
    ResolveSerializer,
    "result",
    "resolve_case",
    "办结: the result (multipart: up to five attachments as `files`)",
)
CloseView = _action_view(
    "CloseView",
    "close_by_dispatcher",
    CloseSerializer,
    "explanation",
    "close_case",
    "说明结案: the command room closes a resolved case with an explanation",
)


class NoteView(APIView):
    """内部备注: a timeline line for staff only; whoever reads the case may add one (key scope
    `cases.transition`)."""

    permission_classes = [HasScope(CASES_TRANSITION)]
    parser_classes = PARSERS

    @extend_schema(
        operation_id="add_case_note",
        request=NoteSerializer,
        responses={201: CaseDetailSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["staff"],
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        case = _readable_case(request, tracking_number)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        api.add_timeline_note(case.pk, "note", body.validated_data["note"], by=request.user)
        return _case_answer(request, case.pk, status.HTTP_201_CREATED)
