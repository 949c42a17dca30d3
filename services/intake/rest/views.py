"""Intake's HTTP API: public submission through an entry point's token; staff submission and
reading. Thin: the same submission path as the pages (api.submit_*), scoping in access.py.

Errors are structured as field → messages, with `non_field_errors` for the whole submission.
"""

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from services import public_urls
from services.apikeys.api import CASES_READ, CASES_SUBMIT, HasScope
from services.directory import api as directory
from services.identifiers.tracking_numbers import normalise_tracking_number

from ...json_bodies import JSONParser
from .. import access, api
from ..models import Case
from .serializers import (
    CaseDetailSerializer,
    CaseListSerializer,
    DetailSerializer,
    EntryPointSerializer,
    ErrorSerializer,
    ReceiptSerializer,
    StaffSubmissionSerializer,
    SubmissionSerializer,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]
SCALARS = (str, int, float)


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


def _usable_entry_point(token: str) -> tuple[Any, Response | None]:
    """The active entry point behind a token, or the response that refuses it (404 / 410)."""
    ep = api.entry_point(token)
    if ep is None:
        return None, Response({"detail": _("二维码不存在。")}, status=status.HTTP_404_NOT_FOUND)
    if not ep.active:
        return ep, _inactive(ep)
    return ep, None


class EntryPointView(APIView):
    """An entry point's scenario and the fields its submissions take."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="entry_point",
        responses={200: EntryPointSerializer, 404: DetailSerializer, 410: DetailSerializer},
        tags=["public"],
    )
    def get(self, request: Request, token: str) -> Response:
        ep, refusal = _usable_entry_point(token)
        if refusal:
            return refusal
        scenario = ep.scenario
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
    return Response({"detail": message}, status=status.HTTP_410_GONE)


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
            400: OpenApiResponse(ErrorSerializer, description="field → messages"),
            404: DetailSerializer,
            410: DetailSerializer,
            429: OpenApiResponse(
                DetailSerializer,
                description="too many submissions from this client or for this phone number "
                "(settings.RATE_LIMITS); retry after the Retry-After header's seconds",
            ),
        },
        tags=["public"],
    )
    def post(self, request: Request, token: str) -> Response:
        ep, refusal = _usable_entry_point(token)
        if refusal:
            return refusal
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


NOT_FOUND = OpenApiResponse(DetailSerializer, description="an invalid cursor")


class NewestFirst(CursorPagination):
    ordering = "-created_at"
    page_size = 50


class CaseListView(generics.ListAPIView):
    """Cases the logged-in member of staff may read (their tenant's, or their departments')."""

    serializer_class = CaseListSerializer
    pagination_class = NewestFirst
    parser_classes = PARSERS

    def get_permissions(self):
        # An API key needs the scope of what it does: reading, or submitting for a citizen.
        return [HasScope(CASES_SUBMIT if self.request.method == "POST" else CASES_READ)]

    def get_queryset(self):
        cases = access.readable_cases(self.request.user)
        params = self.request.query_params
        if params.get("state"):
            cases = cases.filter(state=params["state"])
        if params.get("scenario"):
            cases = cases.filter(scenario__code=params["scenario"])
        if params.get("channel"):
            cases = cases.filter(channel=params["channel"])
        return cases

    @extend_schema(
        operation_id="list_cases",
        parameters=[
            OpenApiParameter(
                "state", str, enum=[s for s, _label in Case._meta.get_field("state").choices]
            ),
            OpenApiParameter("scenario", str, description="scenario code"),
            OpenApiParameter("channel", str, enum=list(Case.Channel.values)),
        ],
        responses={200: CaseListSerializer(many=True), 403: DetailSerializer, 404: NOT_FOUND},
        tags=["staff"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="submit_for_citizen",
        request=StaffSubmissionSerializer,
        responses={
            201: ReceiptSerializer,
            400: OpenApiResponse(ErrorSerializer, description="field → messages"),
            403: DetailSerializer,
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
    """One case with its full timeline and photos, by tracking number."""

    serializer_class = CaseDetailSerializer
    permission_classes = [HasScope(CASES_READ)]
    lookup_field = "tracking_number"

    def get_queryset(self):
        return access.readable_cases(self.request.user).prefetch_related("timeline", "photos")

    def get_serializer_context(self) -> dict[str, Any]:
        user = self.request.user
        return {
            **super().get_serializer_context(),
            "reader": directory.staff_info(user),
            "operator": user.is_superuser,
        }

    def get_object(self) -> Case:
        # DRF's default answer is Django's untranslated "No Case matches the given query."
        number = normalise_tracking_number(self.kwargs["tracking_number"])
        found = self.get_queryset().filter(tracking_number=number).first()
        if found is None:
            raise NotFound(_("没有找到这个受理编号的案件，或您无权查看。"))
        self.check_object_permissions(self.request, found)
        return found

    @extend_schema(
        operation_id="get_case",
        responses={200: CaseDetailSerializer, 403: DetailSerializer, 404: DetailSerializer},
        tags=["staff"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
