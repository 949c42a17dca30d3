"""One validation path for every channel: a form built from the scenario's declared fields."""

from datetime import date
from decimal import Decimal
from typing import Any

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Scenario, ScenarioField

# Keys a browser may send besides the declared fields.
TRANSPORT_FIELDS = frozenset({"csrfmiddlewaretoken"})
BASE_FIELDS = ("description", "reporter_phone", "reporter_name")
DESCRIPTION_MAX_LENGTH = 10_000


def normalise_phone(raw: str, region: str) -> str:
    """E.164 form of a phone number typed by a citizen, or ValidationError."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(
            _("请输入有效的手机号码，例如 13812345678。"), code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _form_field(declared: ScenarioField) -> forms.Field:
    common: dict[str, Any] = {
        "label": declared.label,
        "required": declared.required,
        "error_messages": {"required": _("请填写“%(label)s”。") % {"label": declared.label}},
    }
    kind = ScenarioField.Kind
    if declared.kind == kind.INTEGER:
        return forms.IntegerField(
            min_value=declared.min_value, max_value=declared.max_value, **common
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
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if declared.kind == kind.CHOICE:
        choices = [("", "——请选择——"), *((c, c) for c in declared.choices)]
        return forms.ChoiceField(choices=choices, **common)
    return forms.CharField(max_length=declared.max_length, **common)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    return value


class CaseSubmissionForm(forms.Form):
    """The citizen's submission for one scenario; `extra` holds the scenario's own fields."""

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
        self, scenario: Scenario, *args: Any, phone_region: str = "CN", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scenario = scenario
        self.phone_region = phone_region
        self.declared = list(scenario.fields.all())
        for declared in self.declared:
            self.fields[declared.name] = _form_field(declared)

    def clean_reporter_phone(self) -> str:
        raw = self.cleaned_data["reporter_phone"].strip()
        return normalise_phone(raw, self.phone_region) if raw else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        unknown = sorted(set(self.data) - set(self.fields) - TRANSPORT_FIELDS)
        for name in unknown:
            # add_error would refuse a field the form does not have; report it as non-field.
            self.add_error(
                None,
                forms.ValidationError(
                    _("未知字段“%(field)s”：该场景没有这一项。"),
                    code="unknown_field",
                    params={"field": name},
                ),
            )
        return cleaned

    @property
    def extra(self) -> dict[str, Any]:
        return {
            d.name: _json_value(self.cleaned_data[d.name])
            for d in self.declared
            if self.cleaned_data.get(d.name) not in (None, "")
        }
