"""The case page's buttons, for each role: who gets which, what each asks for, and what
happens when two people press at once."""

import html
import threading

import pytest
from django.test import Client
from django.urls import reverse

from tests.builders import build_county, campus_form
from tests.helpers import MESSAGE, case, case_page, press

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county(db):
    return build_county("county-a", "甲县", "+8610690000001")


def buttons(client, case_obj) -> set[str]:
    html = case_page(client, case_obj)
    return {
        name
        for name in (
            "sign_for",
            "return_case",
            "resolve",
            "dispatch",
            "reassign",
            "invalidate",
            "close",
            "reopen",
        )
        if f'data-transition="{name}"' in html
    }


def actions(case_obj) -> list[str]:
    return list(case(case_obj.pk).timeline.values_list("action", flat=True))


def test_department_staff_sign_for_and_resolve_with_a_result(county):
    assigned = county.routed()
    labour = county.client("labour")
    assert buttons(labour, assigned) == {"sign_for", "return_case"}
    assert press(labour, assigned, "sign_for") == [f"案件 {assigned.tracking_number} 已签收。"]
    assert case(assigned.pk).state == "in_progress"
    assert buttons(labour, assigned) == {"resolve", "return_case"}

    messages = press(labour, assigned, "resolve", note="  ")
    assert messages == ["请填写办理结果（将发送给市民）。"]
    assert case(assigned.pk).state == "in_progress"

    press(labour, assigned, "resolve", note="已督促企业于本周五前结清工资。")
    resolved = case(assigned.pk)
    assert resolved.state == "resolved"
    assert resolved.result == "已督促企业于本周五前结清工资。"
    assert actions(assigned)[-2:] == ["sign_for", "resolve"]


def test_a_return_needs_its_reason_and_goes_back_to_routing(county):
    assigned = county.routed()
    labour = county.client("labour-head")
    assert press(labour, assigned, "return_case") == ["请填写退回理由。"]
    press(labour, assigned, "return_case", note="属于住建部门职责")
    assert case(assigned.pk).state == "submitted"
    assert case(assigned.pk).timeline.last().note == "属于住建部门职责"


def test_dispatcher_dispatches_reassigns_and_invalidates(county):
    waiting = county.routed("campus", **campus_form())
    assert case(waiting.pk).state == "needs_dispatch"
    dispatcher = county.client("dispatcher")
    assert buttons(dispatcher, waiting) == {"dispatch", "invalidate"}
    assert "请选择本平台的一个部门。" in press(dispatcher, waiting, "dispatch")
    medical = county.departments["medical"]
    press(dispatcher, waiting, "dispatch", department=str(medical.pk), note="学校周边交通")
    assert case(waiting.pk).state == "assigned"
    assert case(waiting.pk).department_id == medical.pk

    press(county.client("medical"), waiting, "sign_for")
    labour = county.departments["labour"]
    press(dispatcher, waiting, "reassign", department=str(labour.pk))
    assert (case(waiting.pk).state, case(waiting.pk).department_id) == ("assigned", labour.pk)

    assert press(dispatcher, waiting, "invalidate") == [
        "请填写作废理由（如：重复案件 261124-00001）。"
    ]
    press(dispatcher, waiting, "invalidate", note="重复案件")
    assert case(waiting.pk).state == "closed"


def test_a_dispatcher_cannot_dispatch_to_another_countys_department(county):
    other = build_county("county-b", "乙县", "+8610690000002")
    waiting = county.routed("campus", **campus_form())
    foreign = other.departments["labour"]
    messages = press(county.client("dispatcher"), waiting, "dispatch", department=str(foreign.pk))
    assert messages == ["请选择本平台的一个部门。"]
    assert case(waiting.pk).state == "needs_dispatch"


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("admin", {"invalidate"}),
        ("dispatcher", {"invalidate"}),
        ("medical", set()),
    ],
)
def test_roles_without_the_transition_get_no_button_and_are_refused(county, role, offered):
    assigned = county.routed()  # labour leads; medical only co-handles
    client = county.client(role)
    assert buttons(client, assigned) == offered
    messages = press(client, assigned, "sign_for")
    assert messages == ["您无权对该案件执行此操作。"]
    assert case(assigned.pk).state == "assigned"


def test_bulk_sign_for_signs_what_it_may_and_says_what_it_skipped(county):
    first, second = county.routed(), county.routed()
    labour = county.client("labour")
    press(labour, second, "sign_for")
    response = labour.post(
        reverse("admin:intake_case_changelist"),
        {"action": "sign_for_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    text = [html.unescape(m) for m in MESSAGE.findall(response.content.decode())]
    assert "已签收 1 件案件。" in text
    assert any(second.tracking_number in m and "未签收" in m for m in text)
    assert case(first.pk).state == "in_progress"
    assert actions(second).count("sign_for") == 1


def test_bulk_sign_for_is_not_offered_to_the_command_room(county):
    county.routed()
    page_html = county.client("dispatcher").get(reverse("admin:intake_case_changelist"))
    assert "sign_for_selected" not in page_html.content.decode()


# --- two people, one case -----------------------------------------------------------------


def test_a_button_pressed_on_a_stale_page_is_refused_clearly(county):
    """Both open the page while the case is assigned; one signs for it, the other then presses
    "return" (allowed from in_progress too): refused, because the page they saw is outdated."""
    assigned = county.routed()
    first, second = county.client("labour"), county.client("labour-head")
    seen = case(assigned.pk).updated_at.isoformat()
    case_page(first, assigned), case_page(second, assigned)
    press(first, assigned, "sign_for", version=seen)
    messages = press(second, assigned, "return_case", version=seen, note="不属于本部门")
    assert len(messages) == 1 and "已被他人办理" in messages[0] and "处置中" in messages[0]
    assert case(assigned.pk).state == "in_progress"
    assert actions(assigned) == ["submit", "route", "sign_for"]


def test_simultaneous_presses_one_wins_the_other_is_told(county):
    assigned = county.routed()
    seen = case(assigned.pk).updated_at.isoformat()
    clients = [county.client("labour"), county.client("labour-head")]
    barrier = threading.Barrier(len(clients))
    results: list[list[str]] = []

    def go(client: Client) -> None:
        barrier.wait()
        results.append(press(client, assigned, "sign_for", version=seen))

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [m for m in results if m == [f"案件 {assigned.tracking_number} 已签收。"]]
    lost = [m[0] for m in results if m not in won]
    assert len(won) == 1 and len(lost) == 1, results
    # Whichever check caught it (the page version or the database's state), the loser is told.
    assert "处置中" in lost[0] and ("刷新" in lost[0] or "已被他人办理" in lost[0])
    assert actions(assigned).count("sign_for") == 1
