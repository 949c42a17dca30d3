"""A citizen's submission costs what a durable submission needs and no more: the entry point,
its scenario and fields come from a cache the administrators' edits invalidate; the case, its
timeline row and its event's task rows are written in one transaction, with no counter row
locked and nothing read back after the commit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from services.intake import api as intake
from services.intake.models import EntryPoint, ScenarioField
from tests.builders import entry_token, wage_arrears_form
from tests.helpers import all_cases

pytestmark = pytest.mark.django_db

# The case, its timeline row, its event's task rows (one INSERT for every subscriber); the
# test's own transaction shows the submission's as a SAVEPOINT and its RELEASE.
SUBMISSION_STATEMENTS = ["SAVEPOINT", "INSERT", "INSERT", "INSERT", "RELEASE"]


def _statements(ctx) -> list[str]:
    return [q["sql"].split()[0].upper() for q in ctx.captured_queries]


def _inserted_tables(ctx) -> list[str]:
    return [
        q["sql"].split()[2].strip('"')
        for q in ctx.captured_queries
        if q["sql"].startswith("INSERT")
    ]


def test_a_citizens_submission_is_three_inserts_in_one_transaction(client, demo):
    token = entry_token(demo.pk, "欠薪")
    client.get(f"/c/{token}/")  # the phone opens the form first
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/c/{token}/", wage_arrears_form(reporter_phone="13812340002"))
    assert response.status_code == 302
    assert _statements(ctx) == SUBMISSION_STATEMENTS, [q["sql"][:120] for q in ctx.captured_queries]
    assert _inserted_tables(ctx) == [
        "intake_case",
        "intake_caseevent",
        "django_tasks_database_dbtaskresult",
    ]
    (case,) = all_cases()
    assert response["Location"] == f"/r/{case.access_key}/"
    # Every subscriber of case.submitted got its task row from that one INSERT.
    with scopes_disabled():
        from django_tasks_db.models import DBTaskResult

        queues = sorted(DBTaskResult.objects.values_list("queue_name", flat=True))
    assert len(queues) >= 2 and "routing" in queues
    assert intake.entry_point_counts(token) == (1, 1)


def test_the_api_submission_is_as_lean(client, demo):
    token = entry_token(demo.pk, "欠薪")
    client.get(f"/api/v1/entry-points/{token}/")
    data = wage_arrears_form(amount_owed=36000.5, workers_affected=4, months_owed=None)
    data = {k: v for k, v in data.items() if v is not None}
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            f"/api/v1/entry-points/{token}/cases/", data, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    assert _statements(ctx) == SUBMISSION_STATEMENTS


def test_opening_the_form_appends_a_scan_and_reads_nothing_twice(client, demo):
    token = entry_token(demo.pk, "欠薪")
    client.get(f"/c/{token}/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/c/{token}/").status_code == 200
    assert _statements(ctx) == ["INSERT"]  # the scan; no UPDATE of a counter row
    assert intake.entry_point_counts(token) == (2, 0)


def test_an_administrators_edit_of_a_field_counts_on_the_next_request(client, demo, user_named):
    token = entry_token(demo.pk, "欠薪")
    assert client.post(f"/c/{token}/", wage_arrears_form(work_site="")).status_code == 302
    with scopes_disabled():
        field = ScenarioField.objects.get(scenario__tenant=demo, name="work_site")
    client.force_login(user_named("admin"))
    field.required = True
    field.label = "务工地点（必填）"
    field.save()  # what the admin's scenario page does through its inline
    client.logout()

    page = client.get(f"/c/{token}/").content.decode()
    assert "务工地点（必填）" in page
    refused = client.post(f"/c/{token}/", wage_arrears_form(work_site=""))
    assert refused.status_code == 400
    assert "请填写“务工地点（必填）”" in refused.content.decode()


def test_deactivating_a_code_in_the_admin_counts_on_the_next_request(client, demo, user_named):
    token = entry_token(demo.pk, "欠薪")
    assert client.get(f"/c/{token}/").status_code == 200  # cached now
    with scopes_disabled():
        ep = EntryPoint.objects.get(token=token)
    client.force_login(user_named("admin"))
    change = client.get(f"/admin/intake/entrypoint/{ep.pk}/change/")
    form = change.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["active"] = ""
    saved = client.post(f"/admin/intake/entrypoint/{ep.pk}/change/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    client.logout()

    assert client.get(f"/c/{token}/").status_code == 410
    assert client.post(f"/c/{token}/", wage_arrears_form()).status_code == 410
    assert all_cases() == []
