"""The four scenarios every tenant starts with, and their fields (editable afterwards)."""

from typing import Any

from django.db import transaction

from .models import Scenario, ScenarioField

K = ScenarioField.Kind

BUILTIN_SCENARIOS: list[dict[str, Any]] = [
    {
        "code": "wage_arrears",
        "name": "欠薪求助",
        "intro": "反映拖欠工资问题，人社部门将会同相关部门联合处置。",
        "fields": [
            {
                "name": "employer_name",
                "label": "欠薪单位/老板",
                "help_text": "公司名称，或包工头的姓名",
                "kind": K.TEXT,
                "required": True,
                "max_length": 100,
            },
            {"name": "work_site", "label": "务工地点", "kind": K.TEXT, "max_length": 100},
            {
                "name": "amount_owed",
                "label": "拖欠金额（元）",
                "kind": K.DECIMAL,
                "required": True,
                "min_value": 1,
                "max_value": 100_000_000,
            },
            {
                "name": "months_owed",
                "label": "拖欠月数",
                "kind": K.INTEGER,
                "min_value": 1,
                "max_value": 120,
            },
            {
                "name": "workers_affected",
                "label": "涉及人数",
                "kind": K.INTEGER,
                "required": True,
                "min_value": 1,
                "max_value": 100_000,
            },
        ],
    },
    {
        "code": "medical_insurance",
        "name": "医保违规举报",
        "intro": "举报欺诈骗取医保基金等行为，医保部门将依法核查。",
        "fields": [
            {
                "name": "institution",
                "label": "涉及机构",
                "kind": K.TEXT,
                "required": True,
                "max_length": 100,
            },
            {
                "name": "abuse_type",
                "label": "违规类型",
                "kind": K.CHOICE,
                "required": True,
                "choices": ["虚假就医", "挂床住院", "串换药品", "冒名就医", "其他"],
            },
            {
                "name": "occurred_on",
                "label": "发生日期",
                "kind": K.DATE,
                # Within the last five years, and not in the future.
                "min_value": -5 * 366,
                "max_value": 0,
            },
        ],
    },
    {
        "code": "civil_defence",
        "name": "人防工程巡查",
        "intro": "人防工程（地下防空设施）安全隐患报告。",
        "fields": [
            {
                "name": "shelter_code",
                "label": "工程编号",
                "help_text": "见人防工程入口处的标牌",
                "kind": K.TEXT,
                "required": True,
                "max_length": 50,
            },
            {
                "name": "hazard_type",
                "label": "隐患类型",
                "kind": K.CHOICE,
                "required": True,
                "choices": ["渗漏积水", "设备损坏", "违规占用", "消防隐患", "其他"],
            },
        ],
    },
    {
        "code": "campus",
        "name": "校园安全",
        "intro": "校园及周边安全隐患、食品安全等问题。",
        "fields": [
            {
                "name": "school",
                "label": "学校名称",
                "kind": K.TEXT,
                "required": True,
                "max_length": 100,
            },
            {
                "name": "issue_type",
                "label": "问题类型",
                "kind": K.CHOICE,
                "required": True,
                "choices": ["周边交通", "食品安全", "设施安全", "欺凌", "其他"],
            },
        ],
    },
]


@transaction.atomic
def install_builtin_scenarios(tenant) -> dict[str, Scenario]:
    """Creates the built-in scenarios the tenant does not have yet; returns all four by code."""
    scenarios = {}
    for spec in BUILTIN_SCENARIOS:
        scenario, created = Scenario.objects.get_or_create(
            tenant=tenant,
            code=spec["code"],
            defaults={"name": spec["name"], "intro": spec["intro"]},
        )
        if created:
            ScenarioField.objects.bulk_create(
                ScenarioField(scenario=scenario, order=i, **field)
                for i, field in enumerate(spec["fields"])
            )
        scenarios[spec["code"]] = scenario
    return scenarios
