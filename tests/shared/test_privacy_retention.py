"""保存期限: `anonymise_closed_cases` removes the reporter's personal data from exactly the
cases closed longer ago than their tenant's retention period — not open ones, not recent
ones, not another tenant's — once, and a dry run changes nothing."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from ops.retention import anonymise_closed_cases_daily
from services.eventbus import periodic
from services.intake.models import Case, CaseEvent, CasePhoto
from services.intake.retention import NOTE
from services.notify.models import InboundMessage, Message, Survey
from tests.builders import entry_token, jpeg_with_gps, upload, wage_arrears_form
from tests.helpers import stored_files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_media")]

OTHER_NUMBER = "13900001111"  # a number the citizen wrote into the text


def _case(tenant, phone: str, *, closed_days_ago: int | None, photo: bool = False) -> Case:
    from services.intake import api as intake

    token = entry_token(tenant.pk, "欠薪") if tenant.slug == "wenling-demo" else tenant.entry_token
    data = (
        wage_arrears_form(
            reporter_phone=phone,
            description=f"老板拖欠工资，老板电话 {OTHER_NUMBER}，日期 2024-05-01。",
            work_site=f"塘下工业区（工头 {OTHER_NUMBER}）",
        )
        if tenant.slug == "wenling-demo"
        else {
            "description": f"校门口积水，联系 {OTHER_NUMBER}。",
            "reporter_phone": phone,
            "reporter_name": "李老师",
            "school": "楚门一小",
            "issue_type": "设施安全",
        }
    )
    data.update(latitude="28.3712", longitude="121.3871")  # 使用我的位置: the reporter's door
    files = {"photos": [upload("p.jpg", jpeg_with_gps(size=(300, 200)))]} if photo else None
    snapshot = intake.submit_via_entry_point(token, data, files)
    with scopes_disabled():
        if closed_days_ago is not None:
            Case.objects.filter(pk=snapshot.id).update(state="closed")
            event = CaseEvent.objects.create(
                case_id=snapshot.id, actor_label="系统", action="close", to_state="closed"
            )
            when = timezone.now() - timedelta(days=closed_days_ago)
            CaseEvent.objects.filter(pk=event.pk).update(at=when)
        return Case.objects.get(pk=snapshot.id)


def _survey_and_reply(case: Case) -> None:
    with scopes_disabled():
        survey = Survey.objects.create(
            tenant_id=case.tenant_id,
            case_id=case.pk,
            tracking_number=case.tracking_number,
            phone=case.reporter_phone,
            comment=f"不满意，请打 {OTHER_NUMBER}",
            state="answered",
        )
        InboundMessage.objects.create(
            tenant_id=case.tenant_id,
            provider_id=f"SMretention{case.pk}",
            sender=case.reporter_phone,
            body=f"4 不满意 {OTHER_NUMBER}",
            survey=survey,
            outcome="rated",
        )


@pytest.fixture
def world(demo, other_tenant, drain, sms_outbox, private_media):
    """Old, recent and open cases in the demo county (retention 1095 days) and an old one in
    another county that keeps everything (retention unset)."""
    from services.directory.models import Tenant

    Tenant.objects.filter(pk=other_tenant.pk).update(retention_days=None)
    cases = {
        "old": _case(demo, "138 1234 5678", closed_days_ago=1200, photo=True),
        "old_too": _case(demo, "137 0000 1234", closed_days_ago=1096),
        "recent": _case(demo, "136 0000 1234", closed_days_ago=1000, photo=True),
        "open": _case(demo, "135 0000 1234", closed_days_ago=None),
        "other_tenant": _case(other_tenant, "138 1234 5678", closed_days_ago=2000),
    }
    drain("routing", "notify")  # the receipts: one Message per case with a number
    for case in cases.values():
        _survey_and_reply(case)
    with scopes_disabled():  # "open" was routed meanwhile; make the old ones old again
        Case.objects.filter(pk=cases["open"].pk).update(state="in_progress")
    return cases


def _fresh(case: Case) -> Case:
    with scopes_disabled():
        return Case.objects.get(pk=case.pk)


def _personal_data(case: Case) -> dict:
    with scopes_disabled():
        c = _fresh(case)
        return {
            "phone": (c.reporter_phone, c.reporter_phone_hash, c.reporter_name),
            "location": (c.latitude, c.longitude),
            "texts": (c.description, c.extra),
            "photos": CasePhoto.objects.filter(case=c).count(),
            "messages": list(Message.objects.filter(case_id=c.pk).values_list("to", "body")),
            "surveys": list(Survey.objects.filter(case_id=c.pk).values_list("phone", "comment")),
            "replies": list(
                InboundMessage.objects.filter(survey__case_id=c.pk).values_list("sender", "body")
            ),
            "notes": list(c.timeline.values_list("action", "note")),
        }


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("anonymise_closed_cases", *args, stdout=out)
    return out.getvalue()


def test_exactly_the_old_closed_cases_of_the_tenant_lose_their_personal_data(world, private_media):
    before = {name: _personal_data(case) for name, case in world.items()}
    files_before = len(stored_files(private_media))
    assert before["old"]["photos"] == 1 and before["old"]["messages"]

    out = _run()

    assert f"已匿名化 {world['old'].tracking_number}" in out
    assert f"已匿名化 {world['old_too'].tracking_number}" in out
    assert "已匿名化: cases=2, photos=1, messages=2, surveys=2, replies=2" in out
    for name in ("recent", "open", "other_tenant"):
        assert _personal_data(world[name]) == before[name], name
    for name in ("old", "old_too"):
        after = _personal_data(world[name])
        assert after["phone"] == ("", "", "")
        assert before[name]["location"] == (28.3712, 121.3871)
        assert after["location"] == (None, None), "coordinates follow the number"
        description, extra = after["texts"]
        assert OTHER_NUMBER not in description and OTHER_NUMBER not in str(extra)
        assert "老板拖欠工资" in description and "2024-05-01" in description, "the rest stays"
        assert after["photos"] == 0
        assert all(to == "" and "1234" not in body for to, body in after["messages"])
        assert after["surveys"] == [("", "不满意，请打 [号码已删除]")]
        assert after["replies"] == [("", "4 不满意 [号码已删除]")]
        assert after["notes"][-1] == ("anonymise", NOTE)
        assert _fresh(world[name]).state == "closed"
    assert len(stored_files(private_media)) == files_before - 2, "image and thumbnail gone"


def test_a_second_run_changes_nothing(world):
    _run()
    after_first = {name: _personal_data(case) for name, case in world.items()}
    out = _run()
    assert "已匿名化: cases=0" in out
    assert {name: _personal_data(case) for name, case in world.items()} == after_first
    notes = _personal_data(world["old"])["notes"]
    assert [a for a, _ in notes].count("anonymise") == 1


def test_a_dry_run_lists_the_cases_and_changes_nothing(world, private_media):
    before = {name: _personal_data(case) for name, case in world.items()}
    files = stored_files(private_media)
    out = _run("--dry-run")
    assert f"将匿名化 {world['old'].tracking_number}" in out
    assert "将匿名化: cases=2" in out
    assert {name: _personal_data(case) for name, case in world.items()} == before
    assert stored_files(private_media) == files


def test_one_tenant_only_and_its_own_period(world, other_tenant):
    from services.directory.models import Tenant

    Tenant.objects.filter(pk=other_tenant.pk).update(retention_days=30)
    out = _run("--tenant", other_tenant.slug)
    assert "已匿名化: cases=1" in out
    assert _fresh(world["other_tenant"]).reporter_phone == ""
    assert _fresh(world["old"]).reporter_phone == "+8613812345678", "the demo county waits"
    with pytest.raises(Exception, match="没有代码为"):
        _run("--tenant", "no-such-county")


def test_the_daily_run_is_a_scheduled_task(world):
    assert any(job.task is anonymise_closed_cases_daily for job in periodic.jobs())
    assert anonymise_closed_cases_daily.queue_name == "default"
    assert anonymise_closed_cases_daily.call()["cases"] == 2
    assert _fresh(world["old"]).reporter_phone == ""
