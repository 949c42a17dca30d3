"""Citizens' phone pages: thin views over the services' public api modules."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from services.intake import api as intake
from services.notify import api as notify


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html")


@require_http_methods(["GET", "POST"])
def entry_form(request: HttpRequest, token: str) -> HttpResponse:
    ep = intake.entry_point(token)
    if ep is None:
        raise Http404
    if not ep.active:
        return render(request, "frontend/inactive.html", {"ep": ep}, status=410)
    if request.method == "GET":
        intake.register_scan(token)
        form = intake.submission_form(ep.scenario)
        return render(request, "frontend/entry_form.html", {"ep": ep, "form": form})
    try:
        case = intake.submit_via_entry_point(token, request.POST)
    except intake.SubmissionInvalid:
        form = intake.submission_form(ep.scenario, request.POST)
        form.is_valid()
        return render(request, "frontend/entry_form.html", {"ep": ep, "form": form}, status=400)
    return redirect("frontend:receipt", key=case.access_key)


@require_GET
def entry_qr_svg(request: HttpRequest, token: str) -> HttpResponse:
    if intake.entry_point(token) is None:
        raise Http404
    return HttpResponse(intake.entry_point_qr_svg(token), content_type="image/svg+xml")


def _case_or_404(key: str) -> intake.CaseSnapshot:
    case = intake.case_by_access_key(key)
    if case is None:
        raise Http404
    return case


@require_GET
def receipt(request: HttpRequest, key: str) -> HttpResponse:
    return render(request, "frontend/receipt.html", {"case": _case_or_404(key)})


@require_GET
def status(request: HttpRequest, key: str) -> HttpResponse:
    case = _case_or_404(key)
    return render(
        request,
        "frontend/status.html",
        {
            "case": case,
            "timeline": intake.public_timeline(case.id),
        },
    )


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """满意度评价 from the SMS link: one tap on a rating, with an optional comment."""
    found = notify.survey_by_token(token)
    if found is None:
        raise Http404
    if request.method == "POST" and found.is_open:
        rating = request.POST.get("rating", "")
        if rating in {"1", "2", "3", "4", "5"}:
            notify.answer_survey_by_token(token, int(rating), request.POST.get("comment", ""))
            return redirect("frontend:survey", token=token)  # a reload must not post again
        context = {
            "survey": found,
            "error": _("请选择一个评价。"),
            "comment": request.POST.get("comment", ""),
        }
        return render(request, "frontend/survey.html", context, status=400)
    return render(request, "frontend/survey.html", {"survey": found})
