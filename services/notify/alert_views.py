"""Staff's in-app alerts (站内提醒) where they work: a list in the admin's frame, and opening one
marks it read and goes to its case. Thin: the rows are notify's alerts module's."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .alerts import open_alert, recent_alerts


@require_GET
@staff_member_required
def alert_list(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": _("督办提醒"),
        "alerts": recent_alerts(request.user.pk),  # type: ignore[arg-type]  # staff: logged in
    }
    return render(request, "notify/alerts.html", context)


@require_GET
@staff_member_required
def alert_open(request: HttpRequest, alert_id: int) -> HttpResponse:
    case_id = open_alert(request.user.pk, alert_id)  # type: ignore[arg-type]  # ditto
    if case_id is None:
        raise Http404  # someone else's, or none: the same answer
    return redirect(reverse("admin:intake_case_change", args=[case_id]))
