"""The indicator set (指标体系), the monthly entries (月度填报) and the frozen results in the
admin. Thin: the admin site scopes every row to the user's tenant; the policy says who edits."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import EnteredValue, Indicator, MonthlyResult, Recomputation


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "level", "parent", "weight", "source", "measure", "direction")
    list_editable = ("weight",)  # weights are what a county tunes most
    list_filter = ("level", "source")
    search_fields = ("name", "code")
    ordering = ("order", "pk")
    fields = (
        "tenant",
        "level",
        "parent",
        "code",
        "name",
        "definition",
        "weight",
        "order",
        "source",
        "measure",
        "direction",
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent" and field is not None:
            field.queryset = field.queryset.exclude(level=Indicator.Level.INDICATOR)
        return field


@admin.register(EnteredValue)
class EnteredValueAdmin(SimpleHistoryAdmin):
    list_display = ("year", "month", "indicator", "township", "value", "note", "entered_by")
    list_filter = ("year", "month", "indicator")
    fields = ("tenant", "indicator", "township", "year", "month", "value", "note")

    def save_model(self, request, obj, form, change) -> None:
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MonthlyResult)
class MonthlyResultAdmin(admin.ModelAdmin):
    list_display = ("__str__", "computed_at")
    readonly_fields = ("year", "month", "computed_at", "figures")
    fields = readonly_fields


@admin.register(Recomputation)
class RecomputationAdmin(admin.ModelAdmin):
    list_display = ("period", "requested_at", "requested_by", "reason")
    readonly_fields = ("year", "month", "requested_by", "requested_at", "reason", "before", "after")
    fields = readonly_fields

    @admin.display(description=_("月份"))
    def period(self, obj: Recomputation) -> str:
        return f"{obj.year}-{obj.month:02d}"
