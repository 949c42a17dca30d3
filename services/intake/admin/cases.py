"""The case inbox: staff work on cases here. Thin: every transition goes through
services.transition."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ..models import Case, CaseEvent
from ..services import TRANSITIONS, CaseConflict, available_transitions, transition


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor_label", "action", "from_state", "to_state", "note", "public")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("tracking_number", "scenario", "region", "department", "state", "created_at")
    list_filter = ("state", "scenario", "channel")
    search_fields = ("tracking_number",)
    inlines = [CaseEventInline]
    readonly_fields = (
        "tracking_number",
        "scenario",
        "entry_point",
        "region",
        "place_label",
        "description",
        "extra",
        "reporter_phone",
        "reporter_name",
        "channel",
        "intake_officer",
        "department",
        "state",
        "result",
        "rating",
        "reopen_count",
        "escalated",
        "created_at",
    )
    exclude = ("tenant",)
    change_form_template = "admin/intake/case/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:case_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.take_transition),
                name="intake_case_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["transitions"] = [
                (name, TRANSITIONS[name].label) for name in available_transitions(request.user, obj)
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def take_transition(self, request, case_id: int, name: str):
        case = self.get_object(request, str(case_id))
        back = reverse("admin:intake_case_change", args=[case_id])
        if request.method != "POST" or case is None:
            return HttpResponseRedirect(back)
        note = request.POST.get("note", "").strip()
        if name in ("resolve", "return_case") and not note:
            self.message_user(request, _("请填写办理结果或退回理由。"), messages.ERROR)
            return HttpResponseRedirect(back)
        changes = {"result": note} if name == "resolve" else {}
        try:
            transition(case, name, by=request.user, note=note, **changes)
        except (PermissionDenied, CaseConflict) as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("操作成功。"), messages.SUCCESS)
        return HttpResponseRedirect(back)
