"""Phone numbers are found by a keyed hash: however the number was typed, at the desk, in the
admin search, by the status lookup and by an inbound SMS reply — and no lookup's SQL carries
the number itself."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from services.intake import api as intake
from services.privacy import mask_phone, phone_hash
from tests.builders import resolved_case, submit
from tests.helpers import case_now, reply, survey_of

pytestmark = pytest.mark.django_db

E164 = "+8613812345678"
AS_TYPED = ["138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678"]


def test_the_hash_is_keyed(settings):
    settings.PHONE_HASH_KEY = "key-one"
    first = phone_hash(E164)
    assert first == phone_hash(E164), "deterministic under one key"
    settings.PHONE_HASH_KEY = "key-two"
    assert phone_hash(E164) != first, "another key, another hash"
    assert first != hashlib.sha256(E164.encode()).hexdigest(), "not a bare, guessable digest"
    assert phone_hash("") == ""


def test_without_its_own_key_the_hash_follows_secret_key(settings):
    settings.PHONE_HASH_KEY = ""
    first = phone_hash(E164)
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert phone_hash(E164) != first


def test_mask_keeps_three_and_four_digits():
    assert mask_phone(E164) == "138****5678"
    assert mask_phone("+442071838750") == "442****8750"
    assert mask_phone("") == ""


@pytest.mark.parametrize("typed", AS_TYPED)
def test_a_case_stores_the_hash_and_the_desk_finds_it_however_typed(demo, user_named, typed):
    mine = submit(demo, typed)
    submit(demo, "139 0000 0000")
    with scopes_disabled():
        stored = case_now(mine)
    assert (stored.reporter_phone, stored.reporter_phone_hash) == (E164, phone_hash(E164))
    desk = user_named("dispatcher")  # reads the whole county: the number alone finds it
    for lookup in AS_TYPED:
        assert [c.id for c in intake.cases_by_phone(desk, lookup)] == [mine.id], lookup


def test_admin_search_matches_the_hash_of_the_number_as_typed(demo):
    from services.intake.reports import search_filter

    mine = submit(demo, "13812345678")
    submit(demo, "13900000000")
    condition = search_filter("+86 138-1234-5678", "CN")
    with scopes_disabled():
        found = list(
            case_now(mine).__class__.objects.filter(condition).values_list("pk", flat=True)
        )
    assert found == [mine.id]


def test_a_changed_number_gets_a_new_hash(demo, user_named):
    mine = submit(demo, "13812345678")
    with scopes_disabled():
        case = case_now(mine)
        case.reporter_phone = "+8613900001111"
        case.save(update_fields=["reporter_phone"])
        assert case_now(mine).reporter_phone_hash == phone_hash("+8613900001111")
    assert intake.cases_by_phone(user_named("xinhe_desk"), "13812345678") == []


def _where_clauses(queries) -> list[str]:
    return [q["sql"].split(" WHERE ", 1)[1] for q in queries if " WHERE " in q["sql"]]


@pytest.mark.django_db(transaction=True)  # the notify worker runs for real
def test_no_lookup_compares_the_plaintext_number(client, demo, drain, user_named, sms_outbox):
    case = resolved_case(demo, user_named, drain)
    desk = user_named("dispatcher")  # reads the whole county: the number alone finds it
    from services.intake.reports import search_filter

    with CaptureQueriesContext(connection) as queries:
        assert [c.id for c in intake.cases_by_phone(desk, "138 1234 5678")] == [case.id]
        with scopes_disabled():
            model = case_now(case).__class__
            assert model.objects.filter(search_filter("13812345678", "CN")).count() == 1
        assert [c.id for c in intake.cases_by_tracking_and_phone(case.tracking_number, "5678")] == [
            case.id
        ]
        assert intake.cases_by_tracking_and_phone(case.tracking_number, "0000") == []
        reply(client, "1")  # the inbound SMS finds its survey by the sender's hash
    assert survey_of(case).state == "answered"
    where = _where_clauses(queries.captured_queries)
    assert where, "the lookups ran queries"
    for clause in where:
        assert "12345678" not in clause and "5678" not in clause, clause
        assert '."reporter_phone" ' not in clause and '"reporter_phone" LIKE' not in clause, clause
        assert '."phone" =' not in clause, clause


def test_after_a_key_change_rehash_phones_makes_lookups_work_again(demo, user_named, settings):
    from django.core.management import call_command

    settings.PHONE_HASH_KEY = "old-key"
    mine = submit(demo, "138 1234 5678")
    desk = user_named("dispatcher")  # reads the whole county: the number alone finds it
    settings.PHONE_HASH_KEY = "new-key"
    assert intake.cases_by_phone(desk, "13812345678") == [], "stale hashes find nothing"
    call_command("rehash_phones", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [c.id for c in intake.cases_by_phone(desk, "13812345678")] == [mine.id]
