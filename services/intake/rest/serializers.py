"""Output shapes of intake's HTTP API. Input is validated by the submission form (forms.py),
the same as on the other channels; the request serializers here only document it."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from services.privacy import mask_phone

from .. import access
from ..models import Case, CaseEvent, CasePhoto, ScenarioField
from ..timeline import actor_text


class FieldDeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScenarioField
        fields = (
            "name",
            "label",
            "help_text",
            "kind",
            "required",
            "choices",
            "min_value",
            "max_value",
            "max_length",
        )


class EntryPointSerializer(serializers.Serializer):
    """What a client needs to build the form of one entry point."""

    token = serializers.CharField()
    tenant = serializers.CharField()
    scenario_code = serializers.CharField()
    scenario_name = serializers.CharField()
    intro = serializers.CharField()
    place_label = serializers.CharField()
    max_photos = serializers.IntegerField()
    # A declared field: the metaclass takes it out of the class, so Serializer.fields stays.
    fields = FieldDeclarationSerializer(many=True)  # type: ignore[assignment]


class SubmissionSerializer(serializers.Serializer):
    """A submission: these fields, plus the scenario's own fields by name (see the entry
    point's `fields`). Photos go as multipart files named `photos`."""

    description = serializers.CharField(max_length=10_000)
    reporter_phone = serializers.CharField(required=False, allow_blank=True)
    reporter_name = serializers.CharField(required=False, allow_blank=True)


class StaffSubmissionSerializer(SubmissionSerializer):
    scenario = serializers.SlugField(help_text="the scenario's code, e.g. wage_arrears")
    region = serializers.IntegerField(required=False, allow_null=True)
    place_label = serializers.CharField(required=False, allow_blank=True)


class ReceiptSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    status_url = serializers.URLField(help_text="the citizen's private status page")


class ErrorSerializer(serializers.Serializer):
    """Field name → messages; `non_field_errors` for the submission as a whole."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TimelineSerializer(serializers.ModelSerializer):
    # In the requester's language: system notes are stored untranslated (intake.timeline).
    note = serializers.CharField(source="note_text", read_only=True)
    actor_label = serializers.SerializerMethodField()

    def get_actor_label(self, event: CaseEvent) -> str:
        return actor_text(event.actor_label)

    class Meta:
        model = CaseEvent
        fields = ("at", "actor_label", "action", "from_state", "to_state", "note", "public")


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ("url", "thumbnail_url", "width", "height", "size")

    def _url(self, photo: CasePhoto, variant: str) -> str:
        path = reverse("intake:photo", args=[photo.token, variant])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, photo: CasePhoto) -> str:
        return self._url(photo, "full")

    def get_thumbnail_url(self, photo: CasePhoto) -> str:
        return self._url(photo, "thumb")


class CaseListSerializer(serializers.ModelSerializer):
    scenario: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    region: "serializers.StringRelatedField[Any]" = serializers.StringRelatedField()
    department: "serializers.StringRelatedField[Any]" = serializers.StringRelatedField()

    class Meta:
        model = Case
        fields: tuple[str, ...] = (
            "tracking_number",
            "scenario",
            "state",
            "state_label",
            "channel",
            "priority",
            "region",
            "place_label",
            "department",
            "created_at",
        )


class CaseDetailSerializer(CaseListSerializer):
    timeline = TimelineSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    possible_duplicate_of: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="tracking_number", read_only=True
    )

    class Meta(CaseListSerializer.Meta):
        fields = (
            *CaseListSerializer.Meta.fields,
            "description",
            "extra",
            "reporter_phone",
            "reporter_name",
            "result",
            "rating",
            "reopen_count",
            "possible_duplicate_of",
            "photos",
            "timeline",
        )

    def to_representation(self, case: Case) -> dict:
        """The reporter as the policy lets this reader see them: the whole number only to
        those who call back, nothing of a confidential report's reporter to the others."""
        data = super().to_representation(case)
        if self.context.get("operator"):
            return data
        reader = self.context.get("reader")
        if not access.shows_reporter(reader, case):
            data.update(reporter_phone="", reporter_name="", photos=[])
        elif not access.shows_full_phone(reader, case):
            data["reporter_phone"] = mask_phone(case.reporter_phone)
        return data
