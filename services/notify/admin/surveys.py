"""满意度回访 records: who was asked, what they answered, what expired."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from services.identifiers.tracking_numbers import normalise_tracking_number
from services.privacy import mask_phone

from ..models import Survey
from .outbox import _ReadOnly


@admin.register(Survey)
class SurveyAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "tracking_number",
        "round",
        "state",
        "rating",
        "answered_via",
        "created_at",
        "reminded_at",
        "expires_at",
    )
    list_filter = ("state", "rating", "answered_via")
    search_fields = ("=tracking_number",)
    fields = (
        "tracking_number",
        "case_id",
        "round",
        "masked_phone",
        "state",
        "rating",
        "comment",
        "answered_via",
        "created_at",
        "remind_at",
        "reminded_at",
        "expires_at",
        "answered_at",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        # Read as a tracking number however it was typed (26112403817, full-width …).
        number = normalise_tracking_number(search_term)
        if not search_term.strip():
            return queryset, False
        return queryset.filter(tracking_number=number) if number else queryset.none(), False

    @admin.display(description=_("号码"))
    def masked_phone(self, obj: Survey) -> str:
        return mask_phone(obj.phone)
