"""The governance index (治理指数): the demo county's month computed from generated cases and
staff-entered values — ranking, explanation, what a weight does — and a closed month that
stays as it was computed until a recorded recompute.

October 2026 in the demo county: 城东街道's insurance cases are signed for and resolved at
once and rated 非常满意; 新河镇's wage-arrears cases are signed for a day late, resolved a week
past their deadline, and one is rated 非常不满意 (reopened). The staff-entered checks are the demo's own.
"""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from services.directory.models import Tenant
from services.governance import api as governance
from services.governance import index, results, texts
from services.governance.models import Indicator, MonthlyResult, Recomputation
from services.intake import api as intake
from tests.builders import medical_form, wage_arrears_form
from tests.helpers import run_worker

CST = dt.timezone(dt.timedelta(hours=8))


def at(*args) -> time_machine.travel:
    return time_machine.travel(dt.datetime(*args, tzinfo=CST), tick=False)


# --- the computation itself, on a hand-made tree -------------------------------------------


def tree(weights: dict[str, float] | None = None) -> list[index.Node]:
    w = {"a": 1, "b": 1, **(weights or {})}
    return [
        index.Node("dim", "治理效能", "dimension", 1),
        index.Node("safe", "平安法治", "sub_index", w["a"], parent="dim"),
        index.Node("happy", "群众满意", "sub_index", w["b"], parent="dim"),
        index.Node("x", "甲指标", "indicator", 1, parent="safe", direction="lower"),
        index.Node("y", "乙指标", "indicator", 1, parent="safe"),
        index.Node("z", "丙指标", "indicator", 1, parent="happy"),
    ]


TOWNS = {1: "东镇", 2: "西镇", 3: "南镇"}
RAW = {
    "x": {1: 1.0, 2: 5.0, 3: 3.0},  # lower is better: 东镇 best, 西镇 worst
    "y": {1: 90.0, 2: 50.0, 3: 70.0},
    "z": {1: 10.0, 2: 100.0, 3: 40.0},
}


def test_min_max_normalisation_with_direction_ties_and_gaps():
    assert index.normalise({1: 2.0, 2: 4.0, 3: 3.0}, "higher") == {1: 0.0, 2: 100.0, 3: 50.0}
    assert index.normalise({1: 2.0, 2: 4.0, 3: 3.0}, "lower") == {1: 100.0, 2: 0.0, 3: 50.0}
    # All equal, or one township: nobody is behind.
    assert index.normalise({1: 7.0, 2: 7.0}, "lower") == {1: 100.0, 2: 100.0}
    assert index.normalise({1: 7.0}, "higher") == {1: 100.0}
    assert index.normalise({1: None, 2: 3.0, 3: 1.0}, "higher") == {1: None, 2: 100.0, 3: 0.0}
    assert index.competition_ranks({1: 80.0, 2: 80.0, 3: 10.0, 4: None}) == {
        1: 1,
        2: 1,
        3: 3,
        4: None,
    }


def test_the_lowest_township_is_explained_by_its_weakest_sub_index():
    result = index.compute(tree(), TOWNS, RAW)
    # 西镇: 平安法治 0 (worst on both), 群众满意 100 → 50; 东镇: 100 and 0 → 50; 南镇: 50, 33.3.
    assert result["index"] == {"1": 50.0, "2": 50.0, "3": 41.67}
    assert result["index_ranks"] == {"1": 1, "2": 1, "3": 3}
    south = result["explanations"]["3"]
    assert texts.explanation("南镇", 41.67, south) == (
        "南镇本月指数在3个镇街中最低，主要因为群众满意分指数偏弱；其中1项三级指标排名后2位；"
        "差距最大的三级指标：丙指标。"
    )
    west = result["explanations"]["2"]
    assert texts.explanation("西镇", 50.0, west) == (
        "西镇本月指数排名第1（共3个镇街），拉低最多的是平安法治分指数；其中2项三级指标排名后2位；"
        "差距最大的三级指标：甲指标、乙指标。"
    )


def test_a_weight_changes_the_ranking_and_missing_values_carry_no_weight():
    safety_first = index.compute(tree({"a": 3}), TOWNS, RAW)
    assert safety_first["index_ranks"] == {"1": 1, "2": 3, "3": 2}
    happiness_first = index.compute(tree({"b": 3}), TOWNS, RAW)
    assert happiness_first["index_ranks"] == {"1": 3, "2": 1, "3": 2}
    # 南镇 has no 丙指标 value: scored on 平安法治 alone, not given 0.
    gaps = {**RAW, "z": {1: 10.0, 2: 100.0, 3: None}}
    assert index.compute(tree(), TOWNS, gaps)["index"]["3"] == 50.0


def test_a_single_township_is_ranked_first_and_says_so():
    result = index.compute(tree(), {1: "东镇"}, {k: {1: v[1]} for k, v in RAW.items()})
    assert result["index"] == {"1": 100.0}
    assert (
        texts.explanation("东镇", 100.0, result["explanations"]["1"])
        == "东镇是唯一参与排名的镇街。"
    )


# --- the demo county --------------------------------------------------------------------


@pytest.fixture
def october(transactional_db, without_demo, sms_outbox):
    """The demo county loaded in October 2026, with October's cases handled as described."""
    from django.core.management import call_command

    with at(2026, 10, 15, 10, 0):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        with scopes_disabled():
            tenant = Tenant.objects.get(slug="wenling-demo")
        tokens = {
            label.split(" · ")[0]: token for token, label in intake.entry_point_tokens(tenant.pk)
        }
        xinhe = [
            intake.submit_via_entry_point(
                tokens["欠薪求助"], wage_arrears_form(description=text)
            ).id
            for text in ("塘下工业区某厂拖欠三个月工资", "某装修队拖欠两个月工资")
        ]
        chengdong = [
            intake.submit_via_entry_point(tokens["医保违规举报"], medical_form(description=text)).id
            for text in ("某诊所冒用医保卡", "某药店串换药品刷医保")
        ]
        run_worker("routing")
        run_worker("deadlines")
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    labour, medical = users.get(username="labour"), users.get(username="medical")
    with at(2026, 10, 15, 10, 30):
        for case_id in chengdong:
            intake.take_transition(case_id, "sign_for", medical)
            intake.resolve_case(case_id, medical, "已查处")
        run_worker("deadlines")
    with at(2026, 10, 15, 12, 0), scope(tenant=tenant.pk):
        from services.intake.workflow import apply_survey_answer  # what the survey reply runs

        for case_id in chengdong:
            apply_survey_answer(case_id, 1, "")
    with at(2026, 10, 16, 15, 0):  # the sign-for deadline was yesterday 14:00
        for case_id in xinhe:
            intake.take_transition(case_id, "sign_for", labour)
        run_worker("deadlines")
    with at(2026, 10, 29, 10, 0):  # five working days ran out on the 22nd
        for case_id in xinhe:
            intake.resolve_case(case_id, labour, "已协调")
        run_worker("deadlines")
    with at(2026, 10, 29, 11, 0), scope(tenant=tenant.pk):
        # Reopens the first (and gives it new time); the second waits for its answer.
        apply_survey_answer(xinhe[0], 5, "没解决")
    run_worker("routing", "deadlines", "notify", "intake")
    return tenant


def towns_in_rank_order(report: governance.IndexReport) -> list[str]:
    return [row.name for row in report.rows]


def test_the_demo_index_ranks_and_explains_october(october):
    with at(2026, 11, 2, 9, 0):
        report = governance.index_report(october.pk, 2026, 10)
    assert report.frozen
    assert [name for _level, name in report.columns][:3] == ["制度建设", "机制运行", "队伍建设"]
    assert towns_in_rank_order(report) == ["城东街道", "箬横镇", "石塘镇", "新河镇"]
    assert [row.rank for row in report.rows] == [1, 2, 3, 4]

    with scopes_disabled():
        raw = MonthlyResult.objects.get(tenant=october, year=2026, month=10).figures["raw"]
    ids = {row.name: str(row.township_id) for row in report.rows}
    xinhe, chengdong = ids["新河镇"], ids["城东街道"]
    assert raw["satisfied"][chengdong] == 100.0 and raw["satisfied"][xinhe] == 0.0
    assert raw["sign_for_on_time"][chengdong] == 100.0 and raw["sign_for_on_time"][xinhe] == 0.0
    assert raw["overdue"][chengdong] == 0.0 and raw["overdue"][xinhe] == 100.0
    assert raw["reopened"][xinhe] == 50.0  # one 重办 of two 办结
    assert raw["cases_per_10k"][chengdong] == round(2 * 10000 / 152000, 2)
    assert raw["disputes_settled"][xinhe] == 82.0  # entered by staff (demo)

    last = report.rows[-1]
    assert last.explanation.startswith("新河镇本月指数在4个镇街中最低，主要因为")
    named = last.explanation.split("主要因为", 1)[1].split("分指数", 1)[0]
    position = [name for _level, name in report.columns].index(named)
    assert report.columns[position][0] == "sub_index"
    ranks = [row.parts[position][1] for row in report.rows if row.parts[position][1]]
    assert last.parts[position][1] == max(ranks), "it ranks last on the sub-index it names"
    assert "办理质效" in last.explanation and "超期率" in last.explanation
    assert "项三级指标排名后3位" in last.explanation
    assert report.rows[0].explanation.startswith("城东街道本月指数排名第1（共4个镇街）")
    # September had only the staff-entered checks: the change is against those.
    assert all(row.change is not None for row in report.rows)

    index_of = governance.township_index(october.pk, 2026, 10)
    assert index_of == {row.township_id: row.index for row in report.rows}
    assert all(0 <= value <= 100 for value in index_of.values())

    # Another county with the same indicator set sees its own townships only, and no cases.
    from services.directory import api as directory

    other = directory.create_tenant("丙县", "county-c")
    own = directory.create_region(other, "丙县北镇", directory.RegionLevel.TOWNSHIP)
    governance.load_indicator_set(other.pk, governance.default_indicator_set())
    with at(2026, 11, 2, 9, 0):
        theirs = governance.index_report(other.pk, 2026, 10)
    assert [row.name for row in theirs.rows] == ["丙县北镇"]
    assert theirs.rows[0].index is None and governance.township_index(other.pk, 2026, 10) == {}
    assert own.pk not in index_of


def test_changing_a_weight_changes_the_ranking_after_a_recorded_recompute(october, client):
    with at(2026, 11, 2, 9, 0):
        before = governance.index_report(october.pk, 2026, 10)
        with scopes_disabled():
            # The tenant admin weighs institution building alone (admin › 指标体系 › 权重).
            Indicator.objects.filter(tenant=october, code__in=["capacity", "effectiveness"]).update(
                weight=0
            )
        # A closed month keeps the weights it was computed with …
        assert towns_in_rank_order(governance.index_report(october.pk, 2026, 10)) == (
            towns_in_rank_order(before)
        )
        # … until someone with the right recomputes it, with a reason.
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(username="dispatcher"))
        response = client.post(
            reverse("frontend:dashboard-recompute"),
            {"month": "2026-10", "reason": "指标权重调整后按新权重考核"},
        )
        assert response.status_code == 302
        after = governance.index_report(october.pk, 2026, 10)
    assert towns_in_rank_order(before) == ["城东街道", "箬横镇", "石塘镇", "新河镇"]
    assert towns_in_rank_order(after) == ["城东街道", "箬横镇", "新河镇", "石塘镇"]
    assert after.recomputations[0]["reason"] == "指标权重调整后按新权重考核"
    assert after.recomputations[0]["by"] == "指挥室值班员"


def test_a_closed_month_does_not_change_when_new_cases_arrive(october, client):
    with at(2026, 11, 2, 9, 0):
        frozen = governance.township_index(october.pk, 2026, 10)
    towns = {
        row.name: row.township_id for row in governance.index_report(october.pk, 2026, 10).rows
    }
    # Late data dated in October: another case in 新河镇, a corrected check for 石塘镇.
    with at(2026, 10, 30, 10, 0):
        token = next(t for t, label in intake.entry_point_tokens(october.pk) if "欠薪" in label)
        intake.submit_via_entry_point(token, wage_arrears_form(description="又一起欠薪"))
        run_worker("routing", "deadlines")
    governance.enter_value(october.pk, "disputes_settled", towns["石塘镇"], 2026, 10, 60)
    with at(2026, 11, 3, 9, 0):
        assert governance.township_index(october.pk, 2026, 10) == frozen
        assert results.compute(october.pk, 2026, 10)["index"] != {
            str(k): v for k, v in frozen.items()
        }
        html = client.get(reverse("frontend:dashboard-report"), {"month": "2026-10"})
        assert html.status_code == 302  # logged out: nobody else sees it
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        client.force_login(users.get(username="labour"))
        refused = client.post(
            reverse("frontend:dashboard-recompute"), {"month": "2026-10", "reason": "试试"}
        )
        assert refused.status_code == 403
        client.force_login(users.get(username="admin"))
        empty = client.post(reverse("frontend:dashboard-recompute"), {"month": "2026-10"})
        assert empty.status_code == 302
        assert governance.township_index(october.pk, 2026, 10) == frozen
        client.post(
            reverse("frontend:dashboard-recompute"),
            {"month": "2026-10", "reason": "补录石塘镇矛盾纠纷台账"},
        )
        recomputed = governance.township_index(october.pk, 2026, 10)
        page = client.get(reverse("frontend:dashboard-report"), {"month": "2026-10"})
    assert recomputed != frozen
    assert recomputed[towns["石塘镇"]] < frozen[towns["石塘镇"]]
    with scopes_disabled():
        record = Recomputation.objects.get(tenant=october)
    assert record.requested_by.username == "admin" and record.reason == "补录石塘镇矛盾纠纷台账"
    assert record.before == {str(k): v for k, v in frozen.items()}
    assert record.after == {str(k): v for k, v in recomputed.items()}
    text = page.content.decode()
    assert "补录石塘镇矛盾纠纷台账" in text and "重新计算记录" in text


def test_the_report_page_and_file_show_the_ranking(october, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="dispatcher"))
    with at(2026, 11, 2, 9, 0):
        page = client.get(reverse("frontend:dashboard-report"), {"month": "2026-10"})
        csv_file = client.get(
            reverse("frontend:dashboard-report-file", args=["csv"]), {"month": "2026-10"}
        )
        live = client.get(reverse("frontend:dashboard-report"), {"month": "2026-11"})
    html = page.content.decode()
    table = html[html.index('id="index-report"') : html.index('id="index-explanations"')]
    assert (
        table.index("城东街道")
        < table.index("箬横镇")
        < table.index("石塘镇")
        < table.index("新河镇")
    )
    assert "新河镇本月指数在4个镇街中最低" in html
    assert "按现有数据重新计算本月指数" in html and "csrfmiddlewaretoken" in html
    assert "本月尚未结束" in live.content.decode()
    assert "按现有数据重新计算本月指数" not in live.content.decode()
    text = csv_file.content.decode("utf-8-sig")
    assert text.startswith("治理指数") and "新河镇本月指数在4个镇街中最低" in text


def test_the_scheduled_run_freezes_last_month_on_the_first(october):
    from services.eventbus import periodic
    from services.governance.tasks import freeze_last_month

    assert freeze_last_month in [job.task for job in periodic.jobs()]
    with at(2026, 10, 31, 23, 0):
        assert freeze_last_month.call() == 1  # September (the demo entered its checks)
    with scopes_disabled():
        assert not MonthlyResult.objects.filter(tenant=october, month=10).exists()
    with at(2026, 11, 1, 0, 30):
        assert freeze_last_month.call() == 1
        assert freeze_last_month.call() == 0  # idempotent
    with scopes_disabled():
        assert MonthlyResult.objects.filter(tenant=october, year=2026, month=10).exists()


def test_the_command_room_enters_monthly_checks_in_the_admin(october, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    with scopes_disabled():
        check = Indicator.objects.get(tenant=october, code="joint_meetings")
        from services.directory import api as directory

        town = next(iter(directory.townships(october.pk)))
    add = reverse("admin:governance_enteredvalue_add")
    client.force_login(users.get(username="labour"))
    assert client.get(add).status_code == 403
    client.force_login(users.get(username="dispatcher"))
    response = client.post(
        add,
        {
            "tenant": october.pk,
            "indicator": check.pk,
            "township": town,
            "year": 2026,
            "month": 11,
            "value": 5,
            "note": "会议纪要已核",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        entered = check.entered_values.get(year=2026, month=11, township_id=town)
    assert entered.value == 5 and entered.entered_by.username == "dispatcher"
    assert client.get(reverse("admin:governance_indicator_changelist")).status_code == 200
    assert client.post(reverse("admin:governance_indicator_add"), {}).status_code == 403
    client.force_login(users.get(username="admin"))  # the tenant administrator tunes weights
    listing = client.get(reverse("admin:governance_indicator_changelist")).content.decode()
    assert 'name="form-0-weight"' in listing and "联席会议召开次数" in listing


def test_the_command_room_fills_the_month_in_on_one_sheet(october, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    sheet_url = reverse("frontend:index-entries")
    with scopes_disabled():
        from services.directory import api as directory

        towns = {name: pk for pk, name in directory.townships(october.pk).items()}
    client.force_login(users.get(username="labour"))
    assert client.get(sheet_url).status_code == 403
    client.force_login(users.get(username="dispatcher"))
    with at(2026, 11, 20, 9, 0):
        page = client.get(sheet_url, {"month": "2026-11"}).content.decode()
        assert "联席会议召开次数" in page and "矛盾纠纷化解率" in page and "网格员到岗率" in page
        field = governance.entry_field_name("joint_meetings", towns["石塘镇"])
        other = governance.entry_field_name("disputes_settled", towns["新河镇"])
        bad = client.post(sheet_url, {"month": "2026-11", field: "两次", other: "91"})
        assert bad.status_code == 400 and "请输入数字" in bad.content.decode()
        with scopes_disabled():
            from services.governance.models import EnteredValue

            assert not EnteredValue.objects.filter(year=2026, month=11).exists()
        saved = client.post(sheet_url, {"month": "2026-11", field: "2", other: "91.5"})
        assert saved.status_code == 302
        raw = results.compute(october.pk, 2026, 11)["raw"]
    assert raw["joint_meetings"][str(towns["石塘镇"])] == 2.0
    assert raw["disputes_settled"][str(towns["新河镇"])] == 91.5
    with scopes_disabled():
        entered = EnteredValue.objects.get(year=2026, month=11, township_id=towns["石塘镇"])
    assert entered.entered_by.username == "dispatcher"


def test_an_indicator_set_round_trips_and_a_bad_one_loads_nothing(db):
    from django.core.exceptions import ValidationError
    from django.core.management import call_command

    from services.directory import api as directory

    tenant = directory.create_tenant("丙县", "county-c")
    default = governance.default_indicator_set()
    assert governance.load_indicator_set(tenant.pk, default) == 24
    exported = governance.export_indicator_set(tenant.pk)
    assert [d["name"] for d in exported["dimensions"]] == ["制度建设", "治理能力", "治理效能"]
    assert governance.load_indicator_set(tenant.pk, exported) == 24  # idempotent
    assert governance.export_indicator_set(tenant.pk) == exported

    broken = {
        "dimensions": [
            {
                "code": "new_dimension",
                "name": "新维度",
                "sub_indexes": [
                    {
                        "code": "new_sub",
                        "name": "新分指数",
                        "indicators": [{"code": "no_source", "name": "没有来源"}],
                    }
                ],
            }
        ]
    }
    with pytest.raises(ValidationError):
        governance.load_indicator_set(tenant.pk, broken)
    with scopes_disabled():
        assert not Indicator.objects.filter(tenant=tenant, code="new_dimension").exists()
    # A county trims the set: --prune removes what its file leaves out.
    only_capacity = {"dimensions": [exported["dimensions"][1]]}
    import json
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        json.dump(only_capacity, file, ensure_ascii=False)
        file.flush()
        call_command("load_indicator_set", "county-c", file.name, "--prune", stdout=io.StringIO())
    with scopes_disabled():
        assert set(
            Indicator.objects.filter(tenant=tenant, level="dimension").values_list(
                "name", flat=True
            )
        ) == {"治理能力"}
