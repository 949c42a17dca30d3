"""就近派遣: a rule hands its case to the nearest on-duty officer of its department within a
radius, ignores stale positions, falls back to the department, and the try-it page says why."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from services.directory import api as directory
from services.directory.models import DutyPosition
from services.intake import api as intake
from tests.builders import rule_form
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# A case at a factory gate in 新河镇 (Wenling); officers placed at known distances from it.
CASE = (28.4000, 121.3000)
NEAR = (28.4090, 121.3000)  # 1.0 km north
FARTHER = (28.4270, 121.3000)  # 3.0 km north
FAR_AWAY = (28.5000, 121.3000)  # 11.1 km north


def on_duty(world, username: str, where, *, minutes_ago: float = 0, department="labour"):
    user = world.staff(username, directory.Role.DEPARTMENT, (department,))
    member = directory.staff_info(user)
    directory.set_on_duty(member, True)
    directory.record_position(
        member, *where, 15, now=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return user


def notes(case) -> list[str]:
    with scopes_disabled():
        return [e.note_text for e in case.timeline.all()]


def nearest_rule(world, km: float = 5):
    return world.replace_rules(
        {"department": "labour", "name": "就近欠薪", "nearest_officer_km": km}
    )


def route_at(world, where=CASE):
    return world.route(latitude=str(where[0]), longitude=str(where[1]))


def test_the_closer_of_two_on_duty_officers_gets_the_case(world):
    nearest_rule(world)
    on_duty(world, "farther", FARTHER)
    near = on_duty(world, "near", NEAR)
    case = route_at(world)
    assert (case.state, case.department.code, case.officer_id) == ("assigned", "labour", near.pk)
    assert "就近派给 near（距案件约 1.0 公里）。" in notes(case)


def test_a_stale_position_counts_as_off_duty(world):
    nearest_rule(world)
    on_duty(world, "went_silent", NEAR, minutes_ago=11)
    fresh = on_duty(world, "fresh", FARTHER, minutes_ago=2)
    assert route_at(world).officer_id == fresh.pk


def test_officers_off_duty_of_other_departments_or_out_of_range_are_not_chosen(world):
    nearest_rule(world, km=5)
    on_duty(world, "other_department", NEAR, department="xinhe_social")
    off = on_duty(world, "gone_home", NEAR)
    directory.set_on_duty(directory.staff_info(off), False)
    on_duty(world, "far_away", FAR_AWAY)
    case = route_at(world)
    assert (case.department.code, case.officer_id) == ("labour", None)
    assert any("5.0 公里内没有在岗外勤人员" in n or "最近的" in n for n in notes(case)), notes(case)
    with scopes_disabled():
        assert DutyPosition.objects.get(user=off).latitude is None, "off duty forgets where"


def test_without_anyone_on_duty_or_without_a_location_the_department_gets_it(world):
    nearest_rule(world)
    case = route_at(world)
    assert (case.state, case.department.code, case.officer_id) == ("assigned", "labour", None)
    assert "承办部门当前没有在岗外勤人员（10 分钟内无定位视为不在岗）：派给承办部门。" in notes(
        case
    )

    on_duty(world, "near", NEAR)
    case = world.route()  # the poster has no coordinates and the citizen gave none
    assert (case.department.code, case.officer_id) == ("labour", None)
    assert "案件没有位置，无法就近派遣：派给承办部门。" in notes(case)


def test_a_new_department_by_hand_clears_the_officer(world, client):
    nearest_rule(world)
    near = on_duty(world, "near", NEAR)
    case = route_at(world)
    assert case.officer_id == near.pk
    intake.take_transition(case.pk, "sign_for", near)
    dispatcher = world.staff("dispatcher1", directory.Role.DISPATCHER)
    client.force_login(dispatcher)
    response = client.post(
        f"/admin/intake/case/{case.pk}/transition/reassign/",
        {"department": world.departments["xinhe_social"].pk, "note": "改派"},
    )
    assert response.status_code == 302
    case = world.case(case.pk)
    assert (case.department.code, case.officer_id) == ("xinhe_social", None)


def test_positions_are_read_live_not_from_the_cached_rules(world):
    nearest_rule(world)
    assert route_at(world).officer_id is None  # the rules are now cached, nobody on duty
    near = on_duty(world, "near", NEAR)
    assert route_at(world).officer_id == near.pk


def test_the_officer_sees_the_case_as_theirs(world, client):
    nearest_rule(world)
    near = on_duty(world, "near", NEAR)
    case = route_at(world)
    client.force_login(near)
    page = client.get("/admin/intake/case/?officer=me").content.decode()
    assert case.tracking_number in page
    page = client.get(f"/admin/intake/case/{case.pk}/change/").content.decode()
    assert "承办人" in page and "near" in page


def test_the_try_it_page_says_who_and_how_far_or_why_not(world, client):
    nearest_rule(world)
    admin_user = world.staff("rules_admin", directory.Role.TENANT_ADMIN)
    client.force_login(admin_user)
    sample = {
        "scenario_code": "wage_arrears",
        "channel": "qr",
        "priority": 0,
        "latitude": CASE[0],
        "longitude": CASE[1],
    }
    page = client.post("/admin/routing/routingrule/try/", sample).content.decode()
    assert "命中规则“就近欠薪”" in page
    assert "承办部门当前没有在岗外勤人员" in page

    on_duty(world, "far_away", FAR_AWAY)
    page = client.post("/admin/routing/routingrule/try/", sample).content.decode()
    assert "承办部门在岗 1 人，最近的距案件约 11.1 公里，超出 5.0 公里范围" in page

    on_duty(world, "near", NEAR)
    page = client.post("/admin/routing/routingrule/try/", sample).content.decode()
    assert "就近派给 near：距案件约 1.0 公里（范围 5.0 公里）。" in page


def test_distances_and_the_box_that_prefilters_them():
    from services.directory.positions import bounding_box, haversine_km

    assert haversine_km(*CASE, *NEAR) == pytest.approx(1.0, abs=0.01)
    assert haversine_km(*CASE, *FAR_AWAY) == pytest.approx(11.1, abs=0.05)
    for latitude in (0.0, 28.4, 60.0, 89.9):
        south, north, west, east = bounding_box(latitude, 121.3, 5)
        # Points just inside the circle, every 5 degrees of bearing, are inside the box.
        for step in range(72):
            bearing = math.radians(step * 5)
            d = 4.999 / 6371.0088
            lat2 = math.asin(
                math.sin(math.radians(latitude)) * math.cos(d)
                + math.cos(math.radians(latitude)) * math.sin(d) * math.cos(bearing)
            )
            lon2 = math.radians(121.3) + math.atan2(
                math.sin(bearing) * math.sin(d) * math.cos(math.radians(latitude)),
                math.cos(d) - math.sin(math.radians(latitude)) * math.sin(lat2),
            )
            point = (math.degrees(lat2), math.degrees(lon2))
            assert haversine_km(latitude, 121.3, *point) < 5
            assert south <= point[0] <= north and west <= point[1] <= east, (latitude, step)
        # …and the box is tight: 5.1 km due north is outside it.
        assert north < latitude + 5.1 / 111.19 or latitude > 89


def test_the_duty_page_switches_duty_and_takes_positions_with_csrf(world):
    from django.test import Client

    officer = world.staff("walker", directory.Role.DEPARTMENT, ("labour",))
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="walker", password=PASSWORD)
    page = browser.get("/duty/")
    assert "上岗并共享位置" in page.content.decode()
    token = str(page.context["csrf_token"])

    refused = browser.post("/duty/position/", {"latitude": "28.4", "longitude": "121.3"})
    assert refused.status_code == 403, "no CSRF token: refused"
    off = browser.post(
        "/duty/position/", {"latitude": "28.4", "longitude": "121.3"}, HTTP_X_CSRFTOKEN=token
    )
    assert off.status_code == 409, "off duty: nothing stored"

    browser.post("/duty/", {"on_duty": "1", "csrfmiddlewaretoken": token})
    bad = browser.post(
        "/duty/position/", {"latitude": "95", "longitude": "121.3"}, HTTP_X_CSRFTOKEN=token
    )
    assert bad.status_code == 400
    ok = browser.post(
        "/duty/position/",
        {"latitude": "28.40000049", "longitude": "121.3", "accuracy": "12"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert ok.status_code == 200 and ok.json()["on_duty"] is True
    with scopes_disabled():
        row = DutyPosition.objects.get(user=officer)
    assert (row.latitude, row.longitude, row.accuracy_m) == (28.4, 121.3, 12)
    assert directory.duty_status(directory.staff_info(officer)).on_duty


def test_only_field_staff_may_go_on_duty(world, client):
    desk = world.staff("desk1", directory.Role.RECEPTION)
    client.force_login(desk)
    assert client.get("/duty/").status_code == 403
    assert client.post("/duty/position/", {"latitude": "1", "longitude": "1"}).status_code == 403
    client.logout()
    assert client.get("/duty/").status_code == 302, "anonymous: to the login page"


def test_the_radius_is_edited_with_the_rule_in_the_admin(world):
    from django.contrib.auth.models import Permission
    from django.test import Client

    from services.routing.models import RoutingRule

    pass

    admin_user = world.staff("rules_admin", directory.Role.TENANT_ADMIN)
    admin_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_routingrule", "view_routingrule"])
    )
    client = Client()
    client.force_login(admin_user)
    form = rule_form(world, conditions_text="", nearest_officer_km="0")
    refused = client.post("/admin/routing/routingrule/add/", form)
    assert refused.status_code == 200 and "0.1" in refused.content.decode()
    saved = client.post("/admin/routing/routingrule/add/", {**form, "nearest_officer_km": "3.5"})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    with scopes_disabled():
        assert RoutingRule.objects.get(name="群体性欠薪").nearest_officer_km == 3.5


def test_the_command_room_sees_who_is_on_duty_read_only(world):
    from django.test import Client

    from services.directory.roles import permissions_for_role

    on_duty(world, "near", NEAR)
    on_duty(world, "went_silent", FARTHER, minutes_ago=30)
    dispatcher = world.staff("dispatcher1", directory.Role.DISPATCHER)
    client = Client()
    client.force_login(dispatcher)
    page = client.get("/admin/directory/dutyposition/")
    assert page.status_code == 200
    listed = {r.user.username for r in page.context["cl"].result_list}
    assert {"near", "went_silent"} <= listed
    admin_view = page.context["cl"].model_admin
    assert admin_view.on_duty_now(rows_by(page, "near")) is True
    assert admin_view.on_duty_now(rows_by(page, "went_silent")) is False
    for role in (directory.Role.TENANT_ADMIN, directory.Role.DISPATCHER):
        granted = permissions_for_role(role)
        assert "directory.change_dutyposition" not in granted
    assert "directory.view_dutyposition" in permissions_for_role(directory.Role.DISPATCHER)


def rows_by(page, username):
    return next(r for r in page.context["cl"].result_list if r.user.username == username)
