"""One validation path for every channel: a form built from the scenario's declared fields."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from services.directory import api as directory
from services.identifiers.phones import normalise_phone

from .location import clean_pair, coordinates_fields
from .models import Scenario, ScenarioField
from .photos import CleanPhoto, clean_photos

# Keys a browser may send besides the declared fields.
TRANSPORT_FIELDS = frozenset({"csrfmiddlewaretoken"})
BASE_FIELDS = ("description", "reporter_phone", "reporter_name")
DESCRIPTION_MAX_LENGTH = 10_000


class RelativeDateField(forms.DateField):
    """A date within [today + min_days, today + max_days], "today" being the day of submission."""

    def __init__(self, *, min_days: int | None, max_days: int | None, **kwargs: Any) -> None:
        self.min_days, self.max_days = min_days, max_days
        super().__init__(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)
        earliest, latest = self._bounds()
        if earliest:
            self.widget.attrs["min"] = earliest.isoformat()
        if latest:
            self.widget.attrs["max"] = latest.isoformat()

    def _bounds(self) -> tuple[date | None, date | None]:
        today = timezone.localdate()
        return (
            today + timedelta(days=self.min_days) if self.min_days is not None else None,
            today + timedelta(days=self.max_days) if self.max_days is not None else None,
        )

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is None:
            return
        earliest, latest = self._bounds()
        if earliest and value < earliest:
            raise forms.ValidationError(
                _("日期不能早于 %(date)s。"),
                code="min_value",
                params={"date": date_format(earliest, "Y-m-d")},
            )
        if latest and value > latest:
            raise forms.ValidationError(
                _("日期不能晚于 %(date)s。"),
                code="max_value",
                params={"date": date_format(latest, "Y-m-d")},
            )


def _whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _form_field(declared: ScenarioField) -> forms.Field:
    """The form field a declaration asks for; the same on every channel."""
    common: dict[str, Any] = {
        "label": declared.label,
        "required": declared.required,
        "help_text": declared.help_text,
        "error_messages": {"required": _("请填写“%(label)s”。") % {"label": declared.label}},
    }
    kind = ScenarioField.Kind
    if declared.kind == kind.INTEGER:
        return forms.IntegerField(
            min_value=_whole(declared.min_value), max_value=_whole(declared.max_value), **common
        )
    if declared.kind == kind.DECIMAL:
        return forms.DecimalField(
            max_digits=14,
            decimal_places=2,
            min_value=declared.min_value,
            max_value=declared.max_value,
            **common,
        )
    if declared.kind == kind.DATE:
        return RelativeDateField(
            min_days=_whole(declared.min_value), max_days=_whole(declared.max_value), **common
        )
    if declared.kind == kind.CHOICE:
        choices = [("", _("——请选择——")), *((c, c) for c in declared.choices)]
        return forms.ChoiceField(choices=choices, **common)
    if declared.kind == kind.MULTICHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in declared.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if declared.kind == kind.TEXTAREA:
        return forms.CharField(
            max_length=declared.max_length, widget=forms.Textarea(attrs={"rows": 3}), **common
        )
    return forms.CharField(max_length=declared.max_length, **common)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    return value


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero to `max_photos` images, checked by content and pixel count and re-encoded, within
    the limits photos.py owns."""

    def __init__(self, *, max_photos: int, **kwargs: Any) -> None:
        self.max_photos = max_photos
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*"}))
        super().__init__(required=False, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CleanPhoto]:
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(uploads) > self.max_photos:
            raise forms.ValidationError(
                _("最多只能上传 %(max)s 张照片，您选择了 %(count)s 张。"),
                code="too_many",
                params={"max": self.max_photos, "count": len(uploads)},
            )
        errors = []
        for upload in uploads:
            try:
                super().clean(upload, initial)  # empty files, missing names
            except forms.ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return clean_photos(uploads)


class CaseSubmissionForm(forms.Form):
    """A submission for one scenario, on every channel; `extra` holds the scenario's own fields.

    Without a poster to say where the problem is (the reception desk, staff through the API),
    `ask_place` adds the region and place fields.
    """

    description = forms.CharField(
        label=_("问题描述"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请描述您遇到的问题。")},
    )
    reporter_phone = forms.CharField(
        label=_("手机号码（选填）"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("留下号码可收到受理回执和办理结果短信；不填则匿名提交。"),
    )
    reporter_name = forms.CharField(label=_("称呼（选填）"), required=False, max_length=50)

    def __init__(
        self,
        scenario: Scenario,
        *args: Any,
        phone_region: str = "CN",
        ask_place: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scenario = scenario
        self.phone_region = phone_region
        self.fields.update(coordinates_fields())
        self.declared = list(scenario.fields.all())
        for declared in self.declared:
            self.fields[declared.name] = _form_field(declared)
        if scenario.max_photos:
            self.fields["photos"] = PhotosField(
                label=_("现场照片（选填，最多 %(max)s 张）") % {"max": scenario.max_photos},
                max_photos=scenario.max_photos,
            )
        if ask_place:
            self.fields["region"] = forms.TypedChoiceField(
                label=_("所在区域"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("——请选择——")), *directory.region_choices(scenario.tenant_id)],
            )
            self.fields["place_label"] = forms.CharField(
                label=_("具体地点"), required=False, max_length=100
            )
            # At the desk the officer types what the citizen shows them (a map app's pin):
            # the pair is visible there, after the place, instead of filled by the phone.
            labels = {"latitude": _("纬度（选填）"), "longitude": _("经度（选填）")}
            for name, label in labels.items():
                field = self.fields.pop(name)
                field.widget = forms.NumberInput(attrs={"step": "any"})
                field.label = label
                self.fields[name] = field
            self.fields["longitude"].help_text = _("十进制度数，如 28.3734、121.3872")

    def clean_reporter_phone(self) -> str:
        raw = self.cleaned_data["reporter_phone"].strip()
        return normalise_phone(raw, self.phone_region) if raw else ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        try:
            self.coordinates = clean_pair(cleaned)
        except forms.ValidationError as error:
            self.coordinates = None
            self.add_error(None, error)
        unknown_fields = set(self.data) - set(self.fields) - TRANSPORT_FIELDS
        unknown_files = set(self.files) - set(self.fields)
        for names, message, code in (
            (unknown_fields, _("未知字段“%(field)s”：该场景没有这一项。"), "unknown_field"),
            (unknown_files, _("未知的上传项“%(field)s”：照片请通过“photos”上传。"), "unknown_file"),
        ):
            for name in sorted(names):
                # add_error refuses a field the form does not have: report it as non-field.
                self.add_error(
                    None, forms.ValidationError(message, code=code, params={"field": name})
                )
        return cleaned

    @property
    def extra(self) -> dict[str, Any]:
        return {
            d.name: _json_value(self.cleaned_data[d.name])
            for d in self.declared
            if self.cleaned_data.get(d.name) not in (None, "", [])
        }

    @property
    def photos(self) -> list[CleanPhoto]:
        return self.cleaned_data.get("photos") or []
