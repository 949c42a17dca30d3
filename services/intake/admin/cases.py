"""The case inbox (案件办理): department staff and dispatchers work on cases here.

Thin: every transition goes through services.transition (which checks who may take it), notes
through services.record_note. Which cases a user sees is decided once, by the admin site
(tenant) and the row rule registered below (departments); this module only presents.

Lists stay fast on a million cases: no full counts (a capped count, or the planner's estimate
of a large match), no facet counts, filters that match the case indexes, exact searches for
numbers.
"""

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from services.directory import api as directory
from services.directory.admin_site import request_staff
from services.routing import api as routing

from .. import access
from ..models import Case, CaseEvent
from ..reports import mask_phone, search_filter
from ..search import planned_rows
from ..states import CaseState
from ..timeline import SystemNote, action_label, actor_text
from ..workflow import (
    TRANSITIONS,
    CaseConflict,
    available_transitions,
    case_version,
    record_note,
    resolve,
    transition,
)
from . import case_export

# The project's default admin site is directory's TenantAdminSite (config.admin).
restrict_rows = admin.site.restrict_rows  # type: ignore[attr-defined]
restrict_rows(Case, lambda queryset, staff: access.visible_to(staff, queryset))

STATE_LABELS = dict(CaseState.choices)
TRANSITION_LABELS = {name: rule.label for name, rule in TRANSITIONS.items()}

# What each transition asks for before it can be taken.
ASKS = {
    "resolve": ("result", gettext_lazy("办理结果（将发送给市民）")),
    "return_case": ("reason", gettext_lazy("退回理由")),
    "invalidate": ("reason", gettext_lazy("作废理由（如：重复案件 261124-00001）")),
    "dispatch": ("department", gettext_lazy("派往部门")),
    "reassign": ("department", gettext_lazy("改派部门")),
    "close_by_dispatcher": (
        "reason",
        gettext_lazy("结案说明（市民可见，如：多次电话无法联系到市民）"),
    ),
    "reopen_by_dispatcher": ("reason", gettext_lazy("重办要求（承办部门可见）")),
}
COLOURS = {
    "green": (gettext_lazy("正常"), "#2e7d32"),
    "yellow": (gettext_lazy("临期"), "#f9a825"),
    "red": (gettext_lazy("超期"), "#c62828"),
}
# Counting stops here: "more than 10 000" is all a list page needs to say.
COUNT_CAP = 10_000
# Beyond this many expected rows a list is not counted but estimated (PostgreSQL): an exact
# count, even capped, reads each match from the table, and a common word has tens of
# thousands (121 785 cases hold "工资" among a million: 2.4 s for the capped count alone).
COUNTED_UP_TO = 1_000


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 matching rows instead of all of them (COUNT(*) over a
    million rows on every page view is what makes admin lists slow), and none when the
    planner expects more than COUNTED_UP_TO: then `estimate` holds its guess, and the pages
    cover the first COUNT_CAP rows at most."""

    estimate: int | None = None

    @cached_property
    def count(self) -> int:
        # Unordered: any COUNT_CAP + 1 matching rows will do, so the database may stop at the
        # first ones any index gives it instead of sorting the whole match.
        unordered = self.object_list.order_by()  # type: ignore[attr-defined]  # a QuerySet
        expected = planned_rows(unordered)
        if expected is not None and expected > COUNTED_UP_TO:
            self.estimate = expected
            return min(expected, COUNT_CAP + 1)
        return unordered[: COUNT_CAP + 1].count()


class CaseChangeList(ChangeList):
    """Adds each listed case's deadline colour, for the page's cases only (one query)."""

    def get_results(self, request) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        colours = routing.deadline_colours([case.pk for case in self.result_list])
        for case in self.result_list:
            case.deadline_colour = colours.get(case.pk, "")
            case.reporter_shown = shows_reporter(request, case)
        self.count_estimate = self.paginator.estimate
        self.count_capped = self.count_estimate is None and self.result_count > COUNT_CAP


class ColourFilter(SimpleListFilter):
    title = gettext_lazy("时限预警")
    parameter_name = "colour"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _colour) in COLOURS.items()]

    def queryset(self, request, queryset):
        colour = self.value()
        if colour is not None and colour in COLOURS:
            return queryset.filter(pk__in=routing.case_ids_in_colour(colour))
        return queryset


class TownshipFilter(SimpleListFilter):
    """By township (镇街), including its villages and grids: one indexed path prefix."""

    title = gettext_lazy("镇街")
    parameter_name = "township"

    def lookups(self, request, model_admin):
        staff = request_staff(request)
        if staff is None:
            return []
        return [(str(pk), name) for pk, name in directory.townships(staff.tenant_id).items()]

    def queryset(self, request, queryset):
        township = self.value()
        if township and township.isdigit():
            return queryset.filter(region__path__startswith=f"/{township}/")
        return queryset


class SupervisionFilter(SimpleListFilter):
    """督办 queue: escalated cases until they are closed (结案), then among the settled."""

    title = gettext_lazy("督办")
    parameter_name = "supervision"

    def lookups(self, request, model_admin):
        return [("open", _("督办中")), ("settled", _("督办已结案"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(escalated=True).exclude(state=CaseState.CLOSED)
        if self.value() == "settled":
            return queryset.filter(escalated=True, state=CaseState.CLOSED)
        return queryset


class MineFilter(SimpleListFilter):
    """承办人: the cases a nearest-officer rule gave to the user in person."""

    title = gettext_lazy("承办人")
    parameter_name = "officer"

    def lookups(self, request, model_admin):
        return [("me", _("我承办的"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(officer_id=request.user.pk)
        return queryset


class CaseEventInline(admin.TabularInline):
    """The timeline (全程留痕): read-only and append-only, for everyone."""

    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action_label", "from_label", "to_label", "note_shown", "visibility")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("办理记录")

    @admin.display(description=gettext_lazy("操作方"))
    def actor(self, event: CaseEvent) -> str:
        return actor_text(event.actor_label)

    @admin.display(description=gettext_lazy("动作"))
    def action_label(self, event: CaseEvent) -> str:
        return action_label(event.action, TRANSITION_LABELS)

    @admin.display(description=gettext_lazy("说明"))
    def note_shown(self, event: CaseEvent) -> str:
        return event.note_text

    @admin.display(description=gettext_lazy("市民可见"))
    def visibility(self, event: CaseEvent) -> str:
        return _("是") if event.public else _("否")

    @admin.display(description=gettext_lazy("原状态"))
    def from_label(self, event: CaseEvent) -> str:
        return str(STATE_LABELS.get(event.from_state, event.from_state or "—"))

    @admin.display(description=gettext_lazy("新状态"))
    def to_label(self, event: CaseEvent) -> str:
        return str(STATE_LABELS.get(event.to_state, event.to_state or "—"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def sees_full_phone(request, case: Case) -> bool:
    """The policy's rule (policy.sees_full_phone); the platform operator sees everything."""
    return request.user.is_superuser or access.shows_full_phone(request_staff(request), case)


def shows_reporter(request, case: Case) -> bool:
    """Whether the reporter's name, number and photos are shown (confidential scenarios)."""
    return request.user.is_superuser or access.shows_reporter(request_staff(request), case)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "tracking_number",
        "scenario",
        "region",
        "department",
        "state",
        "deadline",
        "age",
        "reopen_count",
        "masked_phone",
    )
    list_select_related = ("scenario", "region", "department")
    list_filter = (
        "state",
        ColourFilter,
        "scenario",
        TownshipFilter,
        "department",
        MineFilter,
        "channel",
        SupervisionFilter,
        ("created_at", DateFieldListFilter),
    )
    search_fields = ("tracking_number",)  # shows the box; get_search_results decides
    search_help_text = gettext_lazy("输入受理编号、手机号码（精确匹配）或描述中的文字")
    ordering = ("-created_at",)
    list_per_page = 50
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["sign_for_selected"]
    inlines = [CaseEventInline]
    change_form_template = "admin/intake/case/change_form.html"
    change_list_template = "admin/intake/case/change_list.html"

    # --- list ------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return CaseChangeList

    @admin.display(description=gettext_lazy("时限"))
    def deadline(self, case: Case) -> str:
        return colour_badge(getattr(case, "deadline_colour", ""))

    @admin.display(description=gettext_lazy("已受理"), ordering="created_at")
    def age(self, case: Case) -> str:
        return timesince(case.created_at, depth=1)

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone(self, case: Case) -> str:
        shown = getattr(case, "reporter_shown", True)  # the case page asks before showing it
        return mask_phone(case.reporter_phone) if case.reporter_phone and shown else "—"

    def get_search_results(self, request, queryset, search_term):
        staff = request_staff(request)
        region = directory.get_tenant(staff.tenant_id).phone_region if staff else "CN"
        condition = search_filter(search_term, region)
        if condition is None:
            return queryset, False
        found = queryset.filter(condition)
        if _by_phone(condition) and not request.user.is_superuser:
            # Nobody's staff (only the platform operator reaches the admin so) reads no reporter.
            found = access.with_readable_reporter(staff, found) if staff else found.none()
        return found, False

    # --- the case page ---------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        phone = "reporter_phone" if obj and sees_full_phone(request, obj) else "masked_phone"
        reporter: tuple[str, ...] = ("photo_gallery", "reporter_name", phone)
        if obj and not shows_reporter(request, obj):
            reporter = ("reporter_withheld",)
        return [
            (
                _("市民诉求"),
                {
                    "fields": (
                        "tracking_number",
                        "scenario",
                        "created_at",
                        "channel",
                        "region",
                        "place_label",
                        "location",
                        "description",
                        "submission_details",
                        *reporter,
                    )
                },
            ),
            (
                _("办理"),
                {
                    "fields": (
                        "state",
                        "deadline",
                        "department",
                        "officer_name",
                        "result",
                        "result_file_list",
                        "rating",
                        "reopen_count",
                        "escalated",
                        "possible_duplicate_of",
                        "intake_officer",
                    )
                },
            ),
        ]

    def get_object(self, request, object_id, from_field=None):
        case = super().get_object(request, object_id, from_field)
        if case is not None:
            case.deadline_colour = routing.deadline_colours([case.pk]).get(case.pk, "")
            case.location_shown = access.shown_location(
                request_staff(request), case, operator=request.user.is_superuser
            )
        return case

    @admin.display(description=gettext_lazy("承办人"))
    def officer_name(self, case: Case) -> str:
        """就近派遣's officer, by the name colleagues know; empty: the department as a whole."""
        officer = case.officer
        return (officer.get_full_name() or officer.get_username()) if officer else "—"

    @admin.display(description=gettext_lazy("位置"))
    def location(self, case: Case) -> str:
        """Coordinates as the policy lets this reader see them; exact ones link to the
        phone's or computer's own map app (geo: URI), no third-party map on our page."""
        where, exact = getattr(case, "location_shown", (None, False))
        if where is None:
            return "—"
        text = f"{where.latitude:.6f}, {where.longitude:.6f}"
        if not exact:
            return format_html(
                "<span id='case-location'>{}</span> <span class='help'>{}</span>",
                f"{where.latitude:.2f}, {where.longitude:.2f}",
                _("约 1 公里范围；精确位置仅指挥室、承办部门和受理人可见。"),
            )
        return format_html(
            "<span id='case-location'>{}</span> <a href='geo:{},{}'>{}</a>",
            text,
            f"{where.latitude:.6f}",
            f"{where.longitude:.6f}",
            _("在地图应用中打开"),
        )

    def get_readonly_fields(self, request, obj=None):
        return [f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]

    @admin.display(description=gettext_lazy("场景信息"))
    def submission_details(self, case: Case) -> str:
        labels = {f.name: f.label for f in case.scenario.fields.all()}
        if not case.extra:
            return "—"
        return format_html(
            "<dl class='case-extra'>{}</dl>",
            format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                (
                    (labels.get(k, k), "、".join(map(str, v)) if isinstance(v, list) else v)
                    for k, v in case.extra.items()
                ),
            ),
        )

    @admin.display(description=gettext_lazy("举报人"))
    def reporter_withheld(self, case: Case) -> str:
        return _("举报类案件：举报人信息仅指挥室、承办部门和受理人可见。")

    @admin.display(description=gettext_lazy("照片"))
    def photo_gallery(self, case: Case) -> str:
        photos = list(case.photos.all())
        if not photos:
            return "—"
        return format_html_join(
            " ",
            "<a href='{}' target='_blank' rel='noopener'><img src='{}' alt='{}' height='96'></a>",
            (
                (
                    reverse("intake:photo", args=[p.token, "full"]),
                    reverse("intake:photo", args=[p.token, "thumb"]),
                    str(p),
                )
                for p in photos
            ),
        )

    @admin.display(description=gettext_lazy("结果附件"))
    def result_file_list(self, case: Case) -> str:
        files = list(case.result_files.all())
        if not files:
            return "—"
        return format_html(
            "<ul class='result-files'>{}</ul>",
            format_html_join(
                "",
                "<li><a href='{}' target='_blank' rel='noopener'>{}</a> <span class='help'>{}</span></li>",
                (
                    (
                        reverse("intake:result-file", args=[f.token, "full"]),
                        f.name,
                        _("第 %(n)d 轮办结，%(who)s")
                        % {
                            "n": f.round + 1,
                            "who": _("市民可见") if f.public else _("仅工作人员可见"),
                        },
                    )
                    for f in files
                ),
            ),
        )

    def has_add_permission(self, request) -> bool:
        return False  # cases come from citizens and desks, never typed into the admin

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # cases change only by transitions and notes (buttons below)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record is permanent (全程留痕); spam is invalidated, not deleted

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["transitions"] = [
                {
                    "name": name,
                    "label": TRANSITIONS[name].label,
                    "asks": ASKS.get(name, (None, ""))[0],
                    "prompt": ASKS.get(name, (None, ""))[1],
                }
                for name in available_transitions(request.user, obj)
            ]
            context["version"] = case_version(obj)
            if may_ask_for_time(request_staff(request), obj):
                context["extension"] = {
                    "phases": routing.ExtensionPhase.choices,
                    "units": routing.TimeUnit.choices,
                }
            if any(t["asks"] == "department" for t in context["transitions"]):
                context["departments"] = sorted(
                    directory.department_names(obj.tenant_id).items(), key=lambda d: d[1]
                )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)  # type: ignore[misc]

    # --- buttons and actions ---------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:case_id>/transition/<str:name>/",
                view(self.take_transition),
                name="intake_case_transition",
            ),
            path("<int:case_id>/note/", view(self.add_note), name="intake_case_note"),
            path(
                "<int:case_id>/extension/",
                view(self.ask_for_extension),
                name="intake_case_extension",
            ),
            path("export/", view(self.export_page), name="intake_case_export"),
            path("export/<str:fmt>/", view(self.export_download), name="intake_case_export_file"),
            *super().get_urls(),
        ]

    def _case_or_404(self, request, case_id: int) -> Case:
        case = self.get_object(request, str(case_id))
        if case is None or not self.has_view_permission(request, case):
            raise Http404(_("没有找到该案件，或您无权查看。"))
        return case

    def take_transition(self, request, case_id: int, name: str):
        back = reverse("admin:intake_case_change", args=[case_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        case = self._case_or_404(request, case_id)
        try:
            note, changes = self._transition_input(request, case, name)
            seen = request.POST.get("version")  # the page's copy; absent from scripted posts
            if seen is not None and seen != case_version(case):
                raise CaseConflict(
                    _(
                        "案件 %(number)s 在您打开页面后已被他人办理（当前状态：%(state)s），"
                        "请查看最新记录后再操作。"
                    )
                    % {"number": case.tracking_number, "state": case.get_state_display()}
                )
            if name == "resolve":
                resolve(case, note, by=request.user, files=request.FILES.getlist("files"))
            else:
                transition(case, name, by=request.user, note=note, **changes)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        except (PermissionDenied, CaseConflict, ValueError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("案件 %(number)s 已%(action)s。")
                % {"number": case.tracking_number, "action": TRANSITIONS[name].label},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(back)

    def _transition_input(self, request, case: Case, name: str) -> tuple[str, dict]:
        """The note and field changes a transition needs, or ValueError with what is missing."""
        if name not in TRANSITIONS:
            raise ValueError(_("未知的操作。"))
        note = request.POST.get("note", "").strip()
        asks = ASKS.get(name, (None, ""))[0]
        if asks in ("result", "reason") and not note:
            raise ValueError(_("请填写%(what)s。") % {"what": ASKS[name][1]})
        if asks == "result":
            return note, {}  # services.resolve stores the result
        if asks == "department":
            department_id = request.POST.get("department", "")
            if int(department_id or 0) not in directory.department_names(case.tenant_id):
                raise ValueError(_("请选择本平台的一个部门。"))
            return note, {"department_id": int(department_id)}
        return note, {}

    def add_note(self, request, case_id: int):
        """内部备注: a timeline line for staff only, never shown to the citizen."""
        back = reverse("admin:intake_case_change", args=[case_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        case = self._case_or_404(request, case_id)
        text = request.POST.get("note", "").strip()[:2000]
        if not text:
            self.message_user(request, _("备注内容不能为空。"), messages.ERROR)
        else:
            record_note(case, action="note", note=text, by=request.user, public=False)
            self.message_user(request, _("备注已保存（仅工作人员可见）。"), messages.SUCCESS)
        return HttpResponseRedirect(back)

    def ask_for_extension(self, request, case_id: int):
        """延期申请 from the case page; routing checks who may ask and records it."""
        back = reverse("admin:intake_case_change", args=[case_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        case = self._case_or_404(request, case_id)
        try:
            amount = int(request.POST.get("amount", ""))
            if amount < 1:
                raise ValueError
        except ValueError:
            self.message_user(request, _("请填写要延长的时长（正整数）。"), messages.ERROR)
            return HttpResponseRedirect(back)
        phase, unit = request.POST.get("phase", ""), request.POST.get("unit", "")
        if phase not in routing.ExtensionPhase.values or unit not in routing.TimeUnit.values:
            self.message_user(request, _("请选择要延长的期限和单位。"), messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            routing.request_extension(
                case.pk,
                request.user,
                phase=phase,
                amount=amount,
                unit=unit,
                reason=request.POST.get("reason", "").strip()[:2000],
            )
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, _("延期申请已提交，等待指挥室审批。"), messages.SUCCESS)
        return HttpResponseRedirect(back)

    def has_sign_for_permission(self, request) -> bool:
        return directory.policy.can(request_staff(request), directory.Capability.HANDLE_CASES)

    @admin.action(description=gettext_lazy("签收所选案件"), permissions=["sign_for"])
    def sign_for_selected(self, request, queryset) -> None:
        signed, refused = [], []
        for case in queryset.order_by("pk"):
            try:
                transition(
                    case, "sign_for", by=request.user, note=SystemNote(gettext_noop("批量签收"))
                )
            except (PermissionDenied, CaseConflict):
                refused.append(case.tracking_number)
            else:
                signed.append(case.tracking_number)
        if signed:
            self.message_user(
                request, _("已签收 %(n)d 件案件。") % {"n": len(signed)}, messages.SUCCESS
            )
        if refused:
            self.message_user(
                request,
                _("%(n)d 件案件未签收（已被签收、不在待签收状态或不属于您的部门）：%(numbers)s")
                % {"n": len(refused), "numbers": "、".join(refused[:20])},
                messages.WARNING,
            )

    # --- export ----------------------------------------------------------------------------

    def _filtered(self, request) -> QuerySet:
        """The list exactly as the user filtered, searched and sorted it (and may see it)."""
        return self.get_changelist_instance(request).queryset

    def export_page(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        total = self._filtered(request).count()
        query = request.GET.urlencode()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("导出案件"),
            "total": total,
            "total_display": number_format(total, force_grouping=True),
            "xlsx_too_big": total > case_export.XLSX_MAX_ROWS,
            "csv_url": f"{reverse('admin:intake_case_export_file', args=['csv'])}?{query}",
            "xlsx_url": f"{reverse('admin:intake_case_export_file', args=['xlsx'])}?{query}",
            "back_url": f"{reverse('admin:intake_case_changelist')}?{query}",
        }
        return TemplateResponse(request, "admin/intake/case/export.html", context)

    def export_download(self, request, fmt: str):
        if not self.has_view_permission(request) or fmt not in ("csv", "xlsx"):
            raise PermissionDenied
        queryset = self._filtered(request)
        staff = request_staff(request)
        tenant_id = staff.tenant_id if staff and not request.user.is_superuser else None
        reader = case_export.Reader(staff, operator=request.user.is_superuser)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if fmt == "csv":
            response = StreamingHttpResponse(
                case_export.csv_lines(queryset, tenant_id, reader),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
            response["X-Export-Rows"] = str(queryset.count())
            return response
        return FileResponse(
            case_export.xlsx_file(queryset, tenant_id, reader),
            as_attachment=True,
            filename=f"cases-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


def _by_phone(condition) -> bool:
    return any(
        isinstance(child, tuple) and child[0] == "reporter_phone_hash"
        for child in condition.children
    )


def may_ask_for_time(staff, case: Case) -> bool:
    """Whether the case page offers 延期申请: to the handling department and the command
    room while the case is being handled (routing.request_extension decides for real)."""
    return (
        staff is not None
        and staff.tenant_id == case.tenant_id
        and case.state in (CaseState.ASSIGNED, CaseState.IN_PROGRESS)
        and directory.policy.acts_on(
            staff, directory.Capability.REQUEST_EXTENSIONS, access.facts(case)
        )
    )


def colour_badge(colour: str) -> str:
    if colour not in COLOURS:
        return "—"
    label, background = COLOURS[colour]
    return format_html(
        "<span class='deadline deadline-{}' style='display:inline-block;padding:1px 8px;"
        "border-radius:9px;color:#fff;background:{}'>{}</span>",
        colour,
        background,
        label,
    )
