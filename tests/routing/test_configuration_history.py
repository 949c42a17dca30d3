"""配置修改历史: every configuration change (here a routing rule) is kept with who and when,
and its history page in the admin shows it to the rule's own tenant only."""

import pytest
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.routing.models import RoutingRule
from tests.builders import grant, rule_form
from tests.helpers import ADD_URL, client_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rule_change_appears_in_its_history_with_the_user(world):
    editor = world.staff("rules_admin", directory.Role.TENANT_ADMIN)
    grant(editor, "add_routingrule", "change_routingrule", "view_routingrule")
    client = client_for(editor)
    assert client.post(ADD_URL, rule_form(world)).status_code == 302
    with scopes_disabled():
        rule = RoutingRule.objects.get(name="群体性欠薪")
    change_url = f"/admin/routing/routingrule/{rule.pk}/change/"
    changed = client.post(change_url, rule_form(world, name="群体性欠薪（20 人以上）", order="7"))
    assert changed.status_code == 302, changed.content.decode()

    with scopes_disabled():
        created, edited = rule.history.order_by("history_date")
    assert (created.history_type, edited.history_type) == ("+", "~")
    assert created.history_user == edited.history_user == editor
    assert (created.name, edited.name, edited.order) == ("群体性欠薪", "群体性欠薪（20 人以上）", 7)

    page = client.get(f"/admin/routing/routingrule/{rule.pk}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "rules_admin" in html and "群体性欠薪（20 人以上）" in html

    other = directory.create_tenant("另一县", "other-county")
    outsider = directory.create_staff(
        other, "other_admin", "pw-other-admin-1", directory.Role.TENANT_ADMIN
    ).user
    grant(outsider, "view_routingrule", "change_routingrule")
    assert (
        "rules_admin"
        not in client_for(outsider)
        .get(f"/admin/routing/routingrule/{rule.pk}/history/")
        .content.decode()
    )
