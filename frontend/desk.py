"""The township reception desk (镇街受理窗口, 无差别受理): any scenario of the officer's tenant,
the same fields and validation as the citizens' form, a printable slip, and a caller's earlier
cases by phone. Thin views: permissions and rules live in intake's api.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from services import public_urls
from services.directory import api as directory
from services.intake import api as intake


def desk_view(view):
    """Logged in, and allowed to take submissions; others get a clear 403 page.

    A reception PC is shared: every desk request restarts the tenant's idle timer, and the
    session ends when it runs out (the next request asks for the login again)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        staff = directory.staff_info(request.user)
        if staff is not None:
            request.session.set_expiry(directory.desk_idle_seconds(staff.tenant_id))
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as denied:
            return render(request, "frontend/desk/denied.html", {"reason": str(denied)}, status=403)

    return wrapped


@require_GET
@desk_view
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "frontend/desk/home.html", {"scenarios": intake.staff_scenarios(request.user)}
    )


@require_http_methods(["GET", "POST"])
@desk_view
def new_case(request: HttpRequest, scenario_code: str) -> HttpResponse:
    scenarios = dict(intake.staff_scenarios(request.user))
    if scenario_code not in scenarios:
        raise Http404
    context = {"scenario_code": scenario_code, "scenario_name": scenarios[scenario_code]}
    if request.method == "GET":
        form = intake.staff_submission_form(request.user, scenario_code)
        form.fields["region"].initial = directory.staff_region_id(request.user)
        return render(request, "frontend/desk/form.html", {**context, "form": form})
    try:
        case = intake.submit_for_staff(request.user, scenario_code, request.POST, request.FILES)
    except intake.SubmissionInvalid as invalid:
        return render(
            request, "frontend/desk/form.html", {**context, "form": invalid.form}, status=400
        )
    return redirect("frontend:desk-slip", case_id=case.id)


@require_GET
@desk_view
def slip(request: HttpRequest, case_id: int) -> HttpResponse:
    """受理回执单, printed for the citizen (the page's print style drops everything else)."""
    intake.staff_scenarios(request.user)  # only intake staff print slips
    case = intake.staff_case(request.user, case_id)
    status_url = public_urls.case_status(case.access_key)
    tenant = directory.get_tenant(case.tenant_id)
    return render(
        request,
        "frontend/desk/slip.html",
        {
            "case": case,
            "status_url": status_url,
            "tenant": tenant,
            "no_sms": not directory.sms_reaches(case.tenant_id, case.reporter_phone),
        },
    )


@require_http_methods(["GET", "POST"])
@desk_view
def lookup(request: HttpRequest) -> HttpResponse:
    """A caller's cases by phone, and the one whose tracking number they hold (their proof at
    the counter). POST: the number stays out of URLs and logs."""
    context: dict = {"phone": "", "tracking_number": "", "cases": None, "error": ""}
    intake.staff_scenarios(request.user)  # permission check before anything else
    if request.method == "POST":
        context["phone"] = request.POST.get("phone", "")[:30]
        context["tracking_number"] = request.POST.get("tracking_number", "")[:30]
        try:
            context["cases"] = intake.cases_by_phone(
                request.user, context["phone"], context["tracking_number"]
            )
        except ValidationError as invalid:
            context["error"] = invalid.messages[0]
    return render(request, "frontend/desk/lookup.html", context)
