"""满意度回访 records: who was asked, what they answered, what expired."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

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

    @admin.display(description=_("号码"))
    def masked_phone(self, obj: Survey) -> str:
        return mask_phone(obj.phone)
