"""API keys (接口密钥): hashed at rest, scoped, revocable, last-used time, tenant-bound; the
DRF authentication (Bearer / X-Api-Key) with 401 vs 403."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from services.apikeys import api as apikeys
from services.apikeys.models import ApiKey
from services.directory import api as directory
from tests.builders import build_county
from tests.helpers import case

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return build_county("keyville", "钥匙县", "+8657600000001")


@pytest.fixture
def other_county():
    return build_county("lockton", "锁城县", "+8657600000002")


def _key(county, role="dispatcher", scopes=(apikeys.CASES_READ,)):
    return apikeys.create_key(county.tenant.pk, "热线系统", list(scopes), county.user(role).pk)


def test_the_raw_key_is_shown_once_and_only_its_hash_is_stored(county):
    key, raw = _key(county)
    assert raw.startswith(f"gzm_{key.prefix}_")
    with scopes_disabled():
        stored = ApiKey.objects.values().get(pk=key.pk)
    assert raw not in str(stored) and raw.split("_")[-1] not in str(stored)
    assert len(stored["key_hash"]) == 64
    identity = apikeys.authenticate(raw)
    assert identity == apikeys.KeyIdentity(
        key_id=key.pk,
        tenant_id=county.tenant.pk,
        scopes=frozenset({apikeys.CASES_READ}),
        acts_as_user_id=county.user("dispatcher").pk,
    )


def test_wrong_unknown_and_malformed_keys_are_refused(county):
    _, raw = _key(county)
    forged = raw[:-1] + ("A" if raw[-1] != "A" else "B")  # right prefix, wrong secret
    for candidate in (forged, "gzm_0000000000_" + raw.split("_", 2)[2], "", "x" * 500, raw + "x"):
        assert apikeys.authenticate(candidate) is None, candidate


def test_revoked_keys_stop_working_at_once(county):
    key, raw = _key(county)
    assert apikeys.revoke(county.tenant.pk, key.pk) is True
    assert apikeys.authenticate(raw) is None
    assert apikeys.revoke(county.tenant.pk, key.pk) is False  # once


def test_a_tenant_cannot_revoke_another_tenants_key(county, other_county):
    key, raw = _key(county)
    assert apikeys.revoke(other_county.tenant.pk, key.pk) is False
    assert apikeys.authenticate(raw) is not None


def test_last_used_is_recorded_at_most_once_a_minute(county):
    key, raw = _key(county)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        apikeys.authenticate(raw)
        with scopes_disabled():
            assert ApiKey.objects.get(pk=key.pk).last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        with CaptureQueriesContext(connection) as queries:
            apikeys.authenticate(raw)
        assert not [q for q in queries if "UPDATE" in q["sql"].upper()], "a write per request"
        with scopes_disabled():
            assert ApiKey.objects.get(pk=key.pk).last_used_at == start
    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        apikeys.authenticate(raw)
        with scopes_disabled():
            assert ApiKey.objects.get(pk=key.pk).last_used_at == later


def test_a_key_dies_with_its_staff_members_rights(county):
    _, raw = _key(county)
    user = county.user("dispatcher")
    user.is_active = False
    user.save()
    assert apikeys.authenticate(raw) is None


def test_keys_act_only_as_staff_of_their_own_tenant(county, other_county):
    from django.core.exceptions import ValidationError

    foreigner = other_county.user("dispatcher")
    with pytest.raises(ValidationError):
        apikeys.create_key(county.tenant.pk, "x", [apikeys.CASES_READ], foreigner.pk)
    operator = get_user_model().objects.create_superuser("root", "r@example.org", "pw")
    with pytest.raises(ValidationError):
        apikeys.create_key(county.tenant.pk, "x", [apikeys.CASES_READ], operator.pk)
    with pytest.raises(ValidationError):  # reading needs somebody to read as
        apikeys.create_key(county.tenant.pk, "x", [apikeys.CASES_READ], None)
    with pytest.raises(ValidationError):
        apikeys.create_key(county.tenant.pk, "x", ["cases.everything"], county.user("admin").pk)
    _, raw = apikeys.create_key(county.tenant.pk, "x", [apikeys.CASES_SUBMIT], None)
    assert apikeys.authenticate(raw).acts_as_user_id is None


# --- over HTTP ------------------------------------------------------------------------------


def test_bearer_and_x_api_key_both_authenticate(county):
    _, raw = _key(county)
    api = Client()
    assert api.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert api.get("/api/v1/cases/", HTTP_X_API_KEY=raw).status_code == 200


def test_no_key_or_a_bad_key_is_401_with_www_authenticate(county):
    key, raw = _key(county)
    api = Client()
    apikeys.revoke(county.tenant.pk, key.pk)
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, {"HTTP_X_API_KEY": "nonsense"}):
        response = api.get("/api/v1/cases/", **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"].startswith("Bearer"), headers


def test_a_valid_key_without_the_scope_is_403(county):
    _, raw = _key(county, scopes=[apikeys.CASES_SUBMIT])
    response = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


def test_a_key_reads_as_its_staff_member_and_only_its_tenant(county, other_county):
    mine = county.submit()
    theirs = other_county.submit()
    _, raw = _key(county)
    api = Client()
    listing = api.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    numbers = {i: case(i).tracking_number for i in (mine, theirs)}
    assert [c["tracking_number"] for c in listing["results"]] == [numbers[mine]]
    foreign = api.get(f"/api/v1/cases/{numbers[theirs]}/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert foreign.status_code == 404


def test_the_key_model_is_scoped_like_every_tenant_model(county):
    assert directory.staff_users(county.tenant.pk).filter(username="keyville-admin").exists()


def test_a_refusal_is_in_the_callers_language(county):
    _, raw = _key(county, scopes=[apikeys.CASES_SUBMIT])
    for language, words in (
        ("en", "lacks the “cases.read” scope"),
        ("zh-hans", "没有“cases.read”权限"),
    ):
        response = Client().get(
            "/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 403
        assert words in response.json()["detail"], (language, response.json())
        title = {"en": "Forbidden", "zh-hans": "无权操作"}[language]
        assert response.json()["title"] == title


def test_statistics_need_cases_read_and_a_command_room_member(county):
    url = "/api/routing/stats/"
    _, dispatcher_reads = _key(county, "dispatcher")
    _, dispatcher_submits = _key(county, "dispatcher", scopes=[apikeys.CASES_SUBMIT])
    _, labour_reads = _key(county, "labour")
    api = Client()
    assert api.get(url, HTTP_AUTHORIZATION=f"Bearer {dispatcher_reads}").status_code == 200
    assert api.get(url, HTTP_AUTHORIZATION=f"Bearer {dispatcher_submits}").status_code == 403
    assert api.get(url, HTTP_AUTHORIZATION=f"Bearer {labour_reads}").status_code == 403
