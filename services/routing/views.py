"""Routing's HTTP API (thin: the figures come from services.routing.stats)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from services.apikeys.api import CASES_READ, HasScope
from services.directory.api import Capability, policy, staff_info

from .stats import monthly_stats


class MonthQuery(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    tenant = serializers.IntegerField(min_value=1, required=False)


class FiguresSerializer(serializers.Serializer):
    """The schema of stats.metrics(); documentation only (the view returns the dict as is)."""

    received = serializers.IntegerField()
    signed_on_time = serializers.IntegerField()
    resolved = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    returned = serializers.IntegerField()
    avg_handling_hours = serializers.FloatField(allow_null=True)
    p90_handling_hours = serializers.FloatField(allow_null=True)


class DepartmentFiguresSerializer(FiguresSerializer):
    department_id = serializers.IntegerField()
    department_name = serializers.CharField()


class RegionFiguresSerializer(FiguresSerializer):
    region_id = serializers.IntegerField(allow_null=True)
    region_name = serializers.CharField()


class MonthlyStatsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    departments = DepartmentFiguresSerializer(many=True)
    regions = RegionFiguresSerializer(many=True)


class CommandRoomOnly(permissions.BasePermission):
    """Statistics are the command room's (指挥室) and the tenant administrator's."""

    message = _("只有指挥室调度员和平台管理员可以查看分拨统计。")

    def has_permission(self, request, view) -> bool:
        if request.user.is_superuser:
            return True
        return policy.can(staff_info(request.user), Capability.READ_STATISTICS)


class MonthlyStatsView(APIView):
    """GET /api/routing/stats/?year=2026&month=3 → the month's figures per department and
    per township (镇街): received, signed_on_time, resolved, resolved_on_time, returned,
    avg_handling_hours, p90_handling_hours. Defaults to the current month."""

    # A partner's key needs cases.read (and to act as a member of the command room).
    permission_classes = [HasScope(CASES_READ), CommandRoomOnly]

    @extend_schema(
        operation_id="routing_monthly_stats",
        parameters=[MonthQuery],
        responses={200: MonthlyStatsSerializer, 400: dict, 403: dict},
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        query = MonthQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        year = query.validated_data.get("year", today.year)
        month = query.validated_data.get("month", today.month)
        return Response(monthly_stats(self._tenant_id(request, query), year, month))

    def _tenant_id(self, request: Request, query: MonthQuery) -> int:
        if request.user.is_superuser:
            if "tenant" not in query.validated_data:
                raise PermissionDenied(_("平台运维账号请用 tenant 参数指定平台。"))
            return query.validated_data["tenant"]
        staff = staff_info(request.user)
        if staff is None:  # the permission class lets only staff this far
            raise PermissionDenied()
        return staff.tenant_id  # never a posted tenant
