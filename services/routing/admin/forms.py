"""The rule form: lists typed as text for people, stored as lists for the engine."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import conditions, validation
from ..models import RoutingRule
from ..models.rules import CHANNEL_CHOICES, PRIORITY_CHOICES


class RoutingRuleForm(forms.ModelForm):
    # Set by the admin from the request: the staff member's tenant (None for the operator).
    staff_tenant_id: int | None = None

    scenarios_text = forms.CharField(
        label=_("场景"),
        required=False,
        help_text=_("场景代码，多个用逗号分隔，如 wage_arrears；留空表示任意场景"),
    )
    channels_choice = forms.MultipleChoiceField(
        label=_("渠道"),
        required=False,
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示任意渠道"),
    )
    keywords_text = forms.CharField(
        label=_("关键词"),
        required=False,
        help_text=_("问题描述包含其中任一词即满足，多个用逗号或顿号分隔；留空表示不限"),
    )
    conditions_text = forms.CharField(
        label=_("场景字段条件"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "每行一个，全部满足才匹配，例如 workers_affected >= 10；"
            "运算符：== != > >= < <= contains"
        ),
    )
    priority = forms.TypedChoiceField(
        label=_("优先级条件"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("任意")), *PRIORITY_CHOICES],
    )
    set_priority = forms.TypedChoiceField(
        label=_("设定优先级"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("保持不变")), *PRIORITY_CHOICES],
    )

    class Meta:
        model = RoutingRule
        # The admin names the model fields (its fieldsets) when it builds the form per request,
        # inside the tenant scope; foreign-key choices cannot be built at import time.
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance
        if rule.pk:
            self.initial.update(
                scenarios_text=", ".join(rule.scenario_codes),
                channels_choice=rule.channels,
                keywords_text="，".join(rule.keywords),
                conditions_text=conditions.to_text(rule.field_conditions),
            )

    def _tenant_id(self) -> int | None:
        if self.staff_tenant_id is not None:
            return self.staff_tenant_id
        tenant = self.cleaned_data.get("tenant")
        return tenant.pk if tenant is not None else self.instance.tenant_id

    def clean(self):
        super().clean()
        data = self.cleaned_data
        tenant_id = self._tenant_id()
        if tenant_id is None:
            raise ValidationError(_("请选择平台。"))
        self.instance.tenant_id = tenant_id
        errors: list[ValidationError] = []

        codes = validation.split_words(data.get("scenarios_text", ""))
        parsed = []
        for line in data.get("conditions_text", "").splitlines():
            if line.strip():
                try:
                    parsed.append(conditions.parse_line(line))
                except conditions.ConditionSyntaxError as exc:
                    errors.append(ValidationError({"conditions_text": str(exc)}))
        checks = [
            lambda: validation.check_conditions(
                validation.check_scenarios(tenant_id, codes), parsed
            ),
            lambda: validation.check_channels(data.get("channels_choice", [])),
            lambda: validation.check_same_tenant(
                tenant_id,
                department=data.get("department"),
                co_departments=list(data.get("co_departments") or []),
                region=data.get("region"),
                deadline_policy=data.get("deadline_policy"),
            ),
            lambda: validation.check_co_departments(
                data.get("department"), list(data.get("co_departments") or [])
            ),
        ]
        for check in checks:
            try:
                check()
            except ValidationError as exc:
                errors.append(exc)
        for error in errors:
            for field, messages in error.message_dict.items():
                self.add_error(_FORM_FIELD.get(field, field), messages)

        self.instance.scenario_codes = codes
        self.instance.channels = list(data.get("channels_choice", []))
        self.instance.keywords = validation.split_words(data.get("keywords_text", ""))
        self.instance.field_conditions = [c.as_dict() for c in parsed]
        return data


# Errors raised on model field names are shown on the text field a person typed into.
_FORM_FIELD = {
    "scenario_codes": "scenarios_text",
    "field_conditions": "conditions_text",
    "channels": "channels_choice",
}
