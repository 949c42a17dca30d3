"""What tenant administrators set up: scenarios with their fields, and QR entry points."""

from django.contrib import admin

from ..models import EntryPoint, Scenario, ScenarioField


class ScenarioFieldInline(admin.TabularInline):
    model = ScenarioField
    extra = 0


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "active")
    inlines = [ScenarioFieldInline]


@admin.register(EntryPoint)
class EntryPointAdmin(admin.ModelAdmin):
    list_display = ("scenario", "place_label", "region", "active", "scan_count", "submission_count")
    list_filter = ("active", "scenario")
    readonly_fields = ("token", "scan_count", "submission_count")
