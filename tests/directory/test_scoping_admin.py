"""Every admin URL, tried by every role of another county and by another department.

Walks the admin registry (whatever the services register, now or later): for each model it
takes rows of county A and asks for their list, change, delete and history pages, the
"view on site" redirect, autocompletes and actions as each user of county B. Nothing of A may
show, change or disappear. The same URLs as the platform operator show every row, which
proves the walk reaches real pages.
"""

import json

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_scopes import scope, scopes_disabled

from services.directory.admin_site import tenant_path
from services.intake import api as intake
from services.routing import api as routing
from tests.builders import ROLES, build_county, medical_form
from tests.helpers import case, case_model

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def counties(db):
    a = build_county("county-a", "甲县", "+8610690000001")
    b = build_county("county-b", "乙县", "+8610690000002")
    # Cases in A in several states, so per-case rows (timeline, deadlines, messages) exist.
    a.routed()
    a.routed("medical_insurance", description="医保违规", institution="甲诊所", abuse_type="其他")
    b.routed()
    return a, b


def rows_of(model, tenant_id: int, limit: int = 2) -> list:
    path = tenant_path(model)
    if path is None:
        return []
    with scopes_disabled():
        return list(model._base_manager.filter(**{path: tenant_id}).order_by("pk")[:limit])


def admin_url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def tenant_rows(a) -> list[tuple[type, object]]:
    found = [(m, row) for m in admin.site._registry for row in rows_of(m, a.tenant.pk)]
    labels = {m._meta.label_lower for m, _ in found}
    # The walk must cover what a county administers; otherwise it proves nothing.
    assert {"directory.department", "directory.staff", "intake.case", "intake.scenario"} <= labels
    return found


def superuser_client() -> Client:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("operator", "op@example.com", "pw-operator")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.slow
def test_every_admin_page_of_one_county_is_closed_to_every_role_of_another(counties):
    a, b = counties
    found = tenant_rows(a)
    operator = superuser_client()
    for model, row in found:
        url = admin_url(model, "change", row.pk)
        assert operator.get(url).status_code == 200, url  # the URL is a real page

    for role in ROLES:
        client = b.client(role)
        for model, row in found:
            changelist = admin_url(model, "changelist")
            response = client.get(changelist)
            assert response.status_code in (200, 403), (role, changelist)
            if response.status_code == 200:
                assert admin_url(model, "change", row.pk) not in response.content.decode(), (
                    role,
                    model,
                )
            for view in ("change", "delete", "history"):
                url = admin_url(model, view, row.pk)
                if url is None:
                    continue
                response = client.get(url)
                # Refused, or "no such object" (the admin sends you to its index).
                assert response.status_code in (302, 403, 404), (role, url)
                if response.status_code == 302:
                    assert response["Location"] == reverse("admin:index"), (role, url)
            ct = ContentType.objects.get_for_model(model)
            response = client.get(f"/admin/r/{ct.pk}/{row.pk}/")
            assert response.status_code == 404, (role, model)


@pytest.mark.slow
def test_posting_to_another_countys_rows_changes_and_deletes_nothing(counties):
    a, b = counties
    found = tenant_rows(a)
    with scopes_disabled():
        before = {(m, r.pk): str(m._base_manager.get(pk=r.pk)) for m, r in found}
    for role in ROLES:
        client = b.client(role)
        for model, row in found:
            change = admin_url(model, "change", row.pk)
            client.post(change, {"name": "被篡改", "code": "hacked", "role": "dispatcher"})
            delete = admin_url(model, "delete", row.pk)
            if delete:
                client.post(delete, {"post": "yes"})
            changelist = admin_url(model, "changelist")
            for action in ("delete_selected", "sign_for_selected"):
                client.post(
                    changelist, {"action": action, "_selected_action": [row.pk], "post": "yes"}
                )
    with scopes_disabled():
        after = {(m, r.pk): str(m._base_manager.get(pk=r.pk)) for m, r in found}
    assert after == before
    (a_case,) = [r for m, r in found if m._meta.label_lower == "intake.case"][:1]
    assert case(a_case.pk).state == "assigned"  # nobody of B signed for it


def test_autocomplete_never_offers_another_countys_rows(counties):
    a, b = counties
    checked = 0
    for source in admin.site._registry:
        for field in source._meta.get_fields():
            remote = getattr(field, "related_model", None)
            if not (field.is_relation and field.concrete and remote in admin.site._registry):
                continue
            if not admin.site._registry[remote].search_fields or tenant_path(remote) is None:
                continue
            params = {
                "app_label": source._meta.app_label,
                "model_name": source._meta.model_name,
                "field_name": field.name,
                "term": "",
            }
            for role in ROLES:
                response = b.client(role).get("/admin/autocomplete/", params)
                if response.status_code != 200:
                    continue
                ids = [int(r["id"]) for r in json.loads(response.content)["results"]]
                with scopes_disabled():
                    leaked = remote._base_manager.filter(
                        pk__in=ids, **{tenant_path(remote): a.tenant.pk}
                    )
                    assert not leaked.exists(), (role, source, field.name)
                checked += 1
    assert checked  # at least one autocomplete answered


def test_list_filters_offer_only_the_users_own_county(counties):
    _a, b = counties
    page = b.client("dispatcher").get(reverse("admin:intake_case_changelist")).content.decode()
    assert "乙县人力社保局" in page and "乙县东镇" in page  # department and township filters
    assert "甲县" not in page


def test_case_export_holds_only_the_users_cases(counties):
    a, b = counties
    with scopes_disabled():
        a_numbers = list(
            case_model().objects.filter(tenant=a.tenant).values_list("tracking_number", flat=True)
        )
    assert a_numbers
    for role in ROLES:
        response = b.client(role).get(reverse("admin:intake_case_export_file", args=["csv"]))
        if response.status_code != 200:
            continue
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert not any(number in body for number in a_numbers), role


def test_platform_models_are_the_operators_alone(counties):
    a, _b = counties
    platform = [m for m in admin.site._registry if tenant_path(m) is None]
    platform += [
        m for m in admin.site._registry if m._meta.label_lower in ("auth.user", "auth.group")
    ]
    assert platform
    for role in ROLES:
        client = a.client(role)
        for model in platform:
            url = admin_url(model, "changelist")
            assert client.get(url).status_code == 403, (role, url)


def rows_about_case(case_id: int) -> list[tuple[type, object]]:
    """Every registered model's rows that belong to one case (the case, its timeline,
    deadlines, extension requests, messages …), found by a `case` or `case_id` field."""
    found = []
    with scopes_disabled():
        for model in admin.site._registry:
            names = {f.name for f in model._meta.concrete_fields}
            if model._meta.label_lower == "intake.case":
                lookup = {"pk": case_id}
            elif "case" in names or "case_id" in names:
                lookup = {"case_id": case_id}
            else:
                continue
            found += [(model, row) for row in model._base_manager.filter(**lookup)]
    return found


def test_every_admin_page_about_another_departments_case_is_closed(counties):
    """County A's medical-insurance case is the medical bureau's alone: labour staff (and
    their head) reach none of its rows, whatever admin lists them."""
    a, _b = counties
    medical_case = a.routed("medical_insurance", **medical_form())
    medical = a.user("medical")
    intake.take_transition(medical_case.pk, "sign_for", medical)
    with scope(tenant=a.tenant.pk):  # as the admin's request would be
        routing.request_extension(
            medical_case.pk,
            medical,
            phase="resolve",
            amount=2,
            unit="days",
            reason="需调取就诊记录",
        )
    found = rows_about_case(medical_case.pk)
    labels = {m._meta.label_lower for m, _ in found}
    assert {"intake.case", "routing.deadlineextension"} <= labels, labels

    medical_client = a.client("medical")  # the handling department does see them
    assert medical_client.get(admin_url(case_model(), "change", medical_case.pk)).status_code == 200
    for role in ("labour", "labour-head"):
        client = a.client(role)
        for model, row in found:
            response = client.get(admin_url(model, "changelist"))
            if response.status_code == 200:
                assert admin_url(model, "change", row.pk) not in response.content.decode(), (
                    role,
                    model,
                )
            change = admin_url(model, "change", row.pk)
            assert client.get(change).status_code in (302, 403, 404), (role, change)
