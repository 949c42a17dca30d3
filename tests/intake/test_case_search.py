"""Free-text search over case descriptions and places (案件检索), on SQLite and PostgreSQL.

Chinese queries are short: two characters ("工资", "噪音") must find their cases, longer ones
the cases containing the whole phrase, and never a case of another county or one the reader
may not open. On PostgreSQL the search is answered by the bigram index, not a full scan.
"""

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.builders import build_county, campus_form
from tests.helpers import case_model

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "admin:intake_case_changelist"
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's"
)


@pytest.fixture
def counties(db):
    a = build_county("county-a", "甲县", "+8610690000001")
    b = build_county("county-b", "乙县", "+8610690000002")
    cases = {
        # wage arrears: led by labour, co-handled by medical
        "wages": a.routed(description="工地老板拖欠我们三个月工资，多次讨要未果。"),
        "pump": a.routed(description="夜里水泵噪音太大，吵得睡不着。", work_site="塘下水厂"),
        # campus: no rule matches, it waits for the command room; no department reads it
        "school": a.routed("campus", **campus_form(description="学校旁工地夜间施工噪音扰民。")),
        "other_county": b.routed(description="拖欠工资半年，噪音也大。"),
    }
    return a, b, {name: c.tracking_number for name, c in cases.items()}


def found(client, term: str) -> set[str]:
    response = client.get(reverse(LIST), {"q": term})
    assert response.status_code == 200, response.content[:500]
    return {c.tracking_number for c in response.context["cl"].result_list}


def test_two_character_and_longer_queries_find_the_cases_that_contain_them(counties):
    a, _b, n = counties
    dispatcher = a.client("dispatcher")
    assert found(dispatcher, "工资") == {n["wages"]}
    assert found(dispatcher, "噪音") == {n["pump"], n["school"]}
    assert found(dispatcher, "水泵噪音") == {n["pump"]}
    assert found(dispatcher, "拖欠我们三个月工资") == {n["wages"]}
    # Every bigram of the query is in the pump case, but not the phrase itself.
    assert found(dispatcher, "噪音水泵") == set()
    assert found(dispatcher, "资噪") == set()
    # One character has no bigram: no index, but still found.
    assert found(dispatcher, "噪") == {n["pump"], n["school"]}
    assert found(dispatcher, "甲县西镇公告栏") == {n["school"]}  # the place is searched too


def test_search_never_reaches_beyond_what_the_reader_may_open(counties):
    a, b, n = counties
    # Department staff read the cases their department leads or co-handles, not the campus case.
    assert found(a.client("labour"), "噪音") == {n["pump"]}
    assert found(a.client("medical"), "噪音") == {n["pump"]}
    # A desk reads the cases it took in: none of these came through it.
    assert found(a.client("desk"), "噪音") == set()
    # The other county finds its own case only.
    assert found(b.client("dispatcher"), "工资") == {n["other_county"]}
    assert found(b.client("dispatcher"), "水泵") == set()


@on_postgresql
def test_the_search_follows_a_changed_description(counties):
    a, _b, n = counties
    with scopes_disabled():
        case_model().objects.filter(tracking_number=n["wages"]).update(description="路灯不亮")
    dispatcher = a.client("dispatcher")
    assert found(dispatcher, "工资") == set()
    assert found(dispatcher, "路灯") == {n["wages"]}


@on_postgresql
def test_a_two_character_search_is_answered_by_the_bigram_index(counties):
    """On PostgreSQL the admin's text search reads the GIN bigram index rather than every
    case (a full scan is what made it 13× slower at a million cases)."""
    from django.contrib.admin import site
    from django.test import RequestFactory

    a, _b, _n = counties
    case_admin = site._registry[case_model()]
    request = RequestFactory().get("/", {"q": "噪音"})
    request.user = a.user("dispatcher")
    with scopes_disabled():
        queryset, _distinct = case_admin.get_search_results(
            request, case_model().objects.all(), "噪音"
        )
        with connection.cursor() as cursor:
            # A handful of rows: without this, any plan is a sequential scan. (The text
            # condition alone: on so few rows the tenant's index would be as good.)
            cursor.execute("SET enable_seqscan = off")
            try:
                plan = queryset.order_by().explain()
            finally:
                cursor.execute("RESET enable_seqscan")
    assert "case_search_bigrams" in plan, plan


@on_postgresql
def test_longer_queries_find_the_same_cases_once_the_bigrams_have_statistics(counties):
    """With statistics a common bigram is checked by phrase after the index (not by LIKE)."""
    a, _b, n = counties
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_case")
        cursor.execute(
            "SELECT '施工' = ANY(most_common_elems::text::text[]) FROM pg_stats"
            " WHERE tablename = 'intake_case' AND attname = 'search_bigrams'"
        )
        assert cursor.fetchone() == (True,)  # so the phrase path, not the LIKE one
    dispatcher = a.client("dispatcher")
    assert found(dispatcher, "水泵噪音") == {n["pump"]}
    assert found(dispatcher, "噪音水泵") == set()
    assert found(dispatcher, "施工噪音扰民") == {n["school"]}
    assert found(a.client("labour"), "施工噪音扰民") == set()


def test_a_match_of_a_few_cases_is_counted_exactly(counties):
    a, _b, _n = counties
    cl = a.client("dispatcher").get(reverse(LIST), {"q": "噪音"}).context["cl"]
    assert cl.result_count == 2
    assert cl.count_estimate is None


@on_postgresql
def test_a_match_the_planner_expects_to_be_large_is_estimated_not_counted(counties, monkeypatch):
    """Counting a common word's matches reads each of them (seconds at a million cases): past
    COUNTED_UP_TO expected rows the page shows the planner's estimate and says it is one."""
    from services.intake.admin import cases

    monkeypatch.setattr(cases, "COUNTED_UP_TO", 0)
    a, _b, n = counties
    response = a.client("dispatcher").get(reverse(LIST), {"q": "噪音"})
    cl = response.context["cl"]
    assert cl.count_estimate is not None and cl.count_estimate >= 1
    assert cl.result_count == min(cl.count_estimate, cases.COUNT_CAP + 1)
    assert "按统计估算" in response.content.decode()
    assert {c.tracking_number for c in cl.result_list} == {n["pump"], n["school"]}
