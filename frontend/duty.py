"""外勤在岗: the page a field officer keeps open on duty. It switches duty on and off and, while
on, the browser posts its position every few seconds (duty.js, fetch with the CSRF token) for
nearest-officer dispatch. Thin views: who may share and what is stored are the directory's.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from services.directory import api as directory


def duty_view(view):
    """Logged in as staff whose role shares positions (policy: SHARE_POSITION); others get
    a clear 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = directory.staff_info(request.user)
        if not directory.policy.can(member, directory.Capability.SHARE_POSITION):
            return render(request, "frontend/duty_denied.html", status=403)
        return view(request, member, *args, **kwargs)

    return wrapped


@require_http_methods(["GET", "POST"])
@duty_view
def duty(request: HttpRequest, member) -> HttpResponse:
    if request.method == "POST":
        directory.set_on_duty(member, request.POST.get("on_duty") == "1")
        return redirect("frontend:duty")
    return render(
        request,
        "frontend/duty.html",
        {
            "status": directory.duty_status(member),
            "every_seconds": directory.REPORT_EVERY_SECONDS,
            "stale_minutes": int(directory.STALE_AFTER.total_seconds() // 60),
        },
    )


@require_POST
@duty_view
def duty_position(request: HttpRequest, member) -> JsonResponse:
    """One position report (form-encoded: latitude, longitude, accuracy in metres)."""
    try:
        at = directory.record_position(
            member,
            request.POST.get("latitude"),
            request.POST.get("longitude"),
            request.POST.get("accuracy"),
        )
    except ValidationError as invalid:
        return JsonResponse({"detail": " ".join(invalid.messages)}, status=400)
    except PermissionError as refused:
        return JsonResponse({"detail": str(refused), "on_duty": False}, status=409)
    return JsonResponse({"on_duty": True, "reported_at": at.isoformat(), "detail": _("已上报")})
