"""Output shapes of intake's HTTP API. Input is validated by the submission form (forms.py),
the same as on the other channels; the request serializers here only document it."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from services.privacy import mask_phone

from .. import access
from ..models import Case, CaseEvent, CasePhoto, ScenarioField
from ..states import CaseState
from ..timeline import actor_text
from ..workflow import case_version


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
    latitude = serializers.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        help_text="WGS-84 degrees where the problem is (e.g. from the phone's GPS); "
        "with longitude or not at all; rounded to 6 decimals. Without it a case from an entry "
        "point takes the poster's coordinates, if it has any.",
    )
    longitude = serializers.FloatField(
        required=False, min_value=-180, max_value=180, help_text="WGS-84 degrees, with latitude"
    )


class StaffSubmissionSerializer(SubmissionSerializer):
    scenario = serializers.SlugField(help_text="the scenario's code, e.g. wage_arrears")
    region = serializers.IntegerField(required=False, allow_null=True)
    place_label = serializers.CharField(required=False, allow_blank=True)


class ReceiptSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    status_url = serializers.URLField(help_text="the citizen's private status page")


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
    # Null until routed (department) or when nobody said where (region).
    region: "serializers.StringRelatedField[Any]" = serializers.StringRelatedField(allow_null=True)
    department: "serializers.StringRelatedField[Any]" = serializers.StringRelatedField(
        allow_null=True
    )
    version = serializers.SerializerMethodField(
        help_text="send it back with a transition: a case changed since answers 409"
    )

    def get_version(self, case: Case) -> str:
        return case_version(case)

    class Meta:
        model = Case
        fields: tuple[str, ...] = (
            "tracking_number",
            "version",
            "scenario",
            "state",
            "state_label",
            "channel",
            "priority",
            "region",
            "place_label",
            "department",
            "created_at",
            "updated_at",
        )


class CaseDetailSerializer(CaseListSerializer):
    timeline = TimelineSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    possible_duplicate_of: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="tracking_number", read_only=True, allow_null=True
    )
    location_exact = serializers.SerializerMethodField(
        help_text="false: latitude/longitude are rounded to about 1 km for this reader "
        "(the exact place follows the phone-number rule); null: no location"
    )

    def get_location_exact(self, case: Case) -> bool | None:
        return None  # filled in by to_representation, which knows the reader

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
            "latitude",
            "longitude",
            "location_exact",
            "photos",
            "timeline",
        )

    def to_representation(self, case: Case) -> dict:
        """The reporter as the policy lets this reader see them: the whole number only to
        those who call back, nothing of a confidential report's reporter to the others."""
        data = super().to_representation(case)
        reader = self.context.get("reader")
        where, exact = access.shown_location(
            reader, case, operator=bool(self.context.get("operator"))
        )
        data.update(
            latitude=where.latitude if where else None,
            longitude=where.longitude if where else None,
            location_exact=exact if where else None,
        )
        if self.context.get("operator"):
            return data
        if not access.shows_reporter(reader, case):
            data.update(reporter_phone="", reporter_name="", photos=[])
        elif not access.shows_full_phone(reader, case):
            data["reporter_phone"] = mask_phone(case.reporter_phone)
        return data


class CaseFilterSerializer(serializers.Serializer):
    """The list's filters. A value that names nothing (a state or scenario that does not
    exist) is a 400, never an empty list a client would take for "nothing there"."""

    state = serializers.MultipleChoiceField(
        choices=CaseState.choices, required=False, help_text="repeat for several states"
    )
    scenario = serializers.SlugField(required=False, help_text="a scenario code of the tenant")
    channel = serializers.ChoiceField(choices=Case.Channel.choices, required=False)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)
    updated_after = serializers.DateTimeField(
        required=False, help_text="only cases changed after this instant (ISO 8601)"
    )


VERSION_HELP = "the case's `version` as last read; another value answers 409"


class TransitionSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64, help_text=VERSION_HELP)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ReturnSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64, help_text=VERSION_HELP)
    reason = serializers.CharField(max_length=2000, help_text="退回理由: why it is not ours")


class ResolveSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64, help_text=VERSION_HELP)
    result = serializers.CharField(
        max_length=10_000, help_text="办理结果: sent to the citizen and shown on the status page"
    )


class CloseSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64, help_text=VERSION_HELP)
    explanation = serializers.CharField(
        max_length=2000, help_text="结案说明, shown to the citizen (说明结案 by the command room)"
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="内部备注, seen by staff only")
