"""Citizens' phone pages: thin views over the services' public api modules.

Server-rendered and usable without JavaScript; every page is Chinese by default and English
by the browser's Accept-Language or the language switch (Django's set_language).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from services import public_urls, satisfaction
from services.directory import api as directory
from services.intake import api as intake
from services.notify import api as notify


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html")


def _form_page(request: HttpRequest, ep: intake.EntryPointView, form, status: int = 200):
    photos_dropped = request.method == "POST" and bool(request.FILES) and "photos" in form.fields
    return render(
        request,
        "frontend/entry_form.html",
        {
            "ep": ep,
            "form": form,
            "photos_dropped": photos_dropped,
            "honeypot": intake.HONEYPOT_FIELD,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def entry_form(request: HttpRequest, token: str) -> HttpResponse:
    ep = intake.entry_point(token)
    if ep is None:
        raise Http404
    if not ep.active:
        return render(request, "frontend/inactive.html", {"ep": ep}, status=410)
    if request.method == "GET":
        intake.register_scan(token)
        return _form_page(request, ep, intake.entry_point_form(token))
    if intake.caught_by_honeypot(request.POST):
        # A bot: nothing stored, and an answer like a success so it has nothing to adapt to.
        # Status 200 rather than the receipt's redirect, which would need a case to point at.
        return render(request, "frontend/received.html", {"ep": ep})
    try:
        case = intake.submit_via_entry_point(
            token, intake.without_honeypot(request.POST), request.FILES
        )
    except intake.SubmissionInvalid as invalid:
        return _form_page(request, ep, invalid.form, status=400)
    except LookupError:  # deactivated between the page and the submission
        return render(request, "frontend/inactive.html", {"ep": ep}, status=410)
    return redirect("frontend:receipt", key=case.access_key)


@require_GET
def entry_qr_svg(request: HttpRequest, token: str) -> HttpResponse:
    if intake.entry_point(token) is None:
        raise Http404
    return HttpResponse(intake.entry_point_qr_svg(token), content_type="image/svg+xml")


@require_GET
def entry_qr_png(request: HttpRequest, token: str) -> HttpResponse:
    if intake.entry_point(token) is None:
        raise Http404
    return HttpResponse(intake.entry_point_qr_png(token), content_type="image/png")


def _case_or_404(key: str) -> intake.CaseSnapshot:
    case = intake.case_by_access_key(key)
    if case is None:
        raise Http404
    return case


@require_GET
def receipt(request: HttpRequest, key: str) -> HttpResponse:
    case = _case_or_404(key)
    status_url = public_urls.case_status(case.access_key)
    # A number abroad the tenant sends nothing to: the citizen must know no SMS is coming.
    no_sms = not directory.sms_reaches(case.tenant_id, case.reporter_phone)
    return render(
        request,
        "frontend/receipt.html",
        {"case": case, "status_url": status_url, "no_sms": no_sms},
    )


@require_GET
def status(request: HttpRequest, key: str) -> HttpResponse:
    case = _case_or_404(key)
    return render(
        request,
        "frontend/status.html",
        {
            "case": case,
            "timeline": intake.public_timeline(case.id),
            "result_files": intake.public_result_files(case.id),
        },
    )


@require_GET
def result_file(request: HttpRequest, key: str, token: str, variant: str) -> HttpResponse:
    """A result attachment, to whoever holds the case's private link (status page, survey)."""
    response = intake.citizen_result_file(key, token, variant)
    if response is None:
        raise Http404
    return response


@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    """查询进度: tracking number plus the phone's last four digits. POST, so neither lands in
    a URL, a log or the browser history. One answer for every miss: no hint which half was
    wrong."""
    context: dict = {"tracking_number": "", "error": ""}
    if request.method == "GET":
        return render(request, "frontend/status_lookup.html", context)
    tracking_number = request.POST.get("tracking_number", "")[:40]
    last_four = request.POST.get("last_four", "")[:10]
    context["tracking_number"] = tracking_number
    found = intake.cases_by_tracking_and_phone(tracking_number, last_four)
    if len(found) == 1:
        return redirect("frontend:status", key=found[0].access_key)
    if found:  # the same number in two tenants, and the same last four digits
        return render(request, "frontend/status_choose.html", {"cases": found})
    context["error"] = _("没有找到与该受理编号和手机尾号相符的记录，请核对后重试。")
    return render(request, "frontend/status_lookup.html", context, status=404)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """满意度评价 from the SMS link: the result being rated, a rating and an optional comment,
    then a confirmation before anything is recorded (a stray tap records nothing)."""
    found = notify.survey_by_token(token)
    if found is None:
        raise Http404
    case = intake.get_case(found.case_id)
    context = {
        "survey": found,
        "case": case,
        "result_files": intake.public_result_files(case.id),
        "rating": "",
        "comment": "",
    }
    if request.method == "GET" or not found.is_open:
        return render(request, "frontend/survey.html", context)
    rating = request.POST.get("rating", "")
    context.update(rating=rating, comment=request.POST.get("comment", "")[:1000])
    if not satisfaction.is_rating(rating):
        context["error"] = _("请选择一个评价。")
        return render(request, "frontend/survey.html", context, status=400)
    if request.POST.get("confirm") == "1":
        notify.answer_survey_by_token(token, int(rating), str(context["comment"]))
        return redirect("frontend:survey", token=token)  # a reload must not post again
    if request.POST.get("edit") != "1":
        context["confirming"] = dict(found.choices)[int(rating)]
    return render(request, "frontend/survey.html", context)
