"""No mixed languages in what people read: every page rendered in Chinese shows no English
words (beyond an allow-list of acronyms and codes), and rendered in English no Chinese text
other than the county's own data (its names, what citizens and staff typed).

The pages are the citizen's (entry form, receipt, status, survey), the reception desk, the
command-room dashboard, the monthly report and the admin case page, after a case has been
through submission, a possible duplicate, routing, a return (退回), dispatch, an extension,
resolution and the citizen's reply — so system-written timeline rows are on them too.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django_scopes import scope, scopes_disabled

from services.directory import api as directory
from services.intake import api as intake
from services.routing import api as routing
from tests.builders import entry_token, resolve, wage_arrears_form
from tests.helpers import reply

pytestmark = pytest.mark.django_db(transaction=True)

# Words a Chinese page may show in Latin letters: acronyms and file formats people know.
ALLOWED_ASCII = {"SMS", "QR", "API", "CSV", "Excel", "PNG", "SVG", "URL", "ID", "English"}
# Chinese an English page may show: the language switch names each language in itself.
ALLOWED_CHINESE = {"中文"}
# Data written by people: staff notes and results typed in this test.
RETURN_REASON = "不属于本部门职责"
RESULT = "已督促企业结清全部工资。"
REPLY = "1"
EXTENSION_REASON = "需要现场核实"
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _VisibleText(HTMLParser):
    """Text a reader sees: element text and the attributes read out or shown, not scripts,
    styles or hidden inputs."""

    SKIP = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        attrs = dict(attrs)
        if "admin/img/icon-" in (attrs.get("src") or ""):
            return  # Django's yes/no icons, whose alt text Django leaves as True / False
        for name in VISIBLE_ATTRIBUTES:
            if attrs.get(name):
                self.chunks.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.chunks


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + [
            s for k in value for s in _strings(k)
        ]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


# Tables whose text the system writes, in some language: never data.
SYSTEM_WRITTEN = {"intake.caseevent", "notify.message", "notify.staffnotification"}


def county_data() -> list[str]:
    """Everything people entered (names, descriptions, scenario fields, templates), longest
    first: it shows as entered in any language."""
    found = set()
    with scopes_disabled():
        for model in apps.get_models():
            label = model._meta.label_lower
            if not label.startswith(
                ("directory.", "intake.", "routing.", "notify.", "governance.", "auth.")
            ):
                continue
            if label in SYSTEM_WRITTEN:
                continue
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
            ]
            for row in model.objects.values_list(*fields) if fields else ():
                found.update(s for v in row for s in _strings(v) if s.strip())
    found.update({RETURN_REASON, RESULT, EXTENSION_REASON})
    return sorted(found, key=len, reverse=True)


def without_data(text: str, data: list[str]) -> str:
    for value in data:
        if len(value) >= 2:
            text = text.replace(value, " ")
    return text


ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")


def foreign_words(html: str, language: str, data: list[str]) -> list[str]:
    found = []
    for chunk in visible_text(html):
        text = without_data(chunk, data)
        if language == "zh-hans":
            words = [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_ASCII]
        else:
            words = [w for w in CHINESE.findall(text) if w not in ALLOWED_CHINESE]
        found.extend(f"{w!r} in {chunk[:60]!r}" for w in words)
    return found


@pytest.fixture
def lived_case(demo, drain, user_named, sms_outbox):
    """One case through most of its life, and a second one like it (a possible duplicate)."""
    token = entry_token(demo.pk, "欠薪")
    case = intake.submit_via_entry_point(token, wage_arrears_form())
    drain("intake", "routing", "deadlines")
    labour = user_named("labour")
    intake.take_transition(case.id, "return_case", labour, note=RETURN_REASON)
    drain("routing", "deadlines")
    [department] = directory.staff_info(labour).department_ids
    intake.assign(case.id, department, "", by=user_named("dispatcher"))
    drain("routing", "deadlines")
    intake.take_transition(case.id, "sign_for", labour)
    drain("deadlines")
    with scope(tenant=demo.pk):  # as the admin runs it, in the staff member's tenant
        extension = routing.request_extension(
            case.id, labour, phase="resolve", amount=3, unit="days", reason=EXTENSION_REASON
        )
        routing.decide_extension(extension.pk, user_named("dispatcher"), approve=True)
    resolve(case, user_named, RESULT)
    drain("notify", "deadlines")
    twin = intake.submit_via_entry_point(token, wage_arrears_form())
    drain("intake", "routing", "deadlines", "notify")
    reply(Client(), REPLY)
    drain("intake", "notify", "deadlines")
    return intake.get_case(case.id), intake.get_case(twin.id)


def pages(demo, lived_case, user_named) -> list[tuple[str, str, Client]]:
    """(name, url, client) of every page the scan reads."""
    case, twin = lived_case
    citizen = Client()
    staff = {}
    for role in ("xinhe_desk", "dispatcher"):
        staff[role] = Client()
        staff[role].force_login(user_named(role))
    from services.notify.models import Survey

    with scopes_disabled():
        survey_token = Survey.objects.get(case_id=case.id).token
    return [
        ("home", "/", citizen),
        ("entry form", f"/c/{entry_token(demo.pk, '欠薪')}/", citizen),
        ("receipt", f"/r/{twin.access_key}/", citizen),
        ("status", f"/s/{case.access_key}/", citizen),
        ("status lookup", "/status/", citizen),
        ("survey", f"/v/{survey_token}/", citizen),
        ("desk", "/desk/", staff["xinhe_desk"]),
        ("desk form", "/desk/new/wage_arrears/", staff["xinhe_desk"]),
        ("desk lookup", "/desk/lookup/", staff["xinhe_desk"]),
        ("dashboard", "/dashboard/", staff["dispatcher"]),
        ("report", "/dashboard/report/", staff["dispatcher"]),
        ("admin case page", f"/admin/intake/case/{case.id}/change/", staff["dispatcher"]),
        ("admin duplicate page", f"/admin/intake/case/{twin.id}/change/", staff["dispatcher"]),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_mixes_languages(demo, lived_case, user_named, language):
    data = county_data() + [u.username for u in get_user_model().objects.all()]
    problems = {}
    for name, url, client in pages(demo, lived_case, user_named):
        response = client.get(url, headers={"accept-language": language})
        assert response.status_code == 200, (name, url, response.status_code)
        found = foreign_words(response.content.decode(), language, data)
        if found:
            problems[name] = found
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_scan_sees_mixed_languages():
    """The scan can fail: English in a Chinese page, Chinese in an English one."""
    zh_page = "<p>受理编号 261124-03817 · Received</p><script>var x='Hello'</script>"
    assert foreign_words(zh_page, "zh-hans", []) == [
        "'Received' in '受理编号 261124-03817 · Received'"
    ]
    en_page = '<p title="状态">Status: 已受理</p>'
    assert len(foreign_words(en_page, "en", [])) == 2
    assert foreign_words("<p>SMS 与 QR</p>", "zh-hans", []) == []


def test_the_timeline_says_what_happened(demo, lived_case, user_named):
    """After a 退回 the case waits because the department returned it, not because no rule
    matched; the duplicate hint and the extension read as words, not codes or ids."""
    case, twin = lived_case
    staff = Client()
    staff.force_login(user_named("dispatcher"))
    page = staff.get(f"/admin/intake/case/{case.id}/change/").content.decode()
    assert "承办部门已退回，没有其他适用的分拨规则，等待指挥室重新派单。" in page
    assert "没有匹配的分拨规则" not in page
    assert "申请延长办结期限 3 个工作日：需要现场核实" in page
    english = staff.get(f"/admin/intake/case/{case.id}/change/", headers={"accept-language": "en"})
    assert (
        "Returned by the handling department and no other rule applies" in english.content.decode()
    )
    assert "Asked to extend the resolution deadline by 3 working days" in english.content.decode()

    duplicate = " ".join(
        visible_text(staff.get(f"/admin/intake/case/{twin.id}/change/").content.decode())
    )
    assert "疑似重复" in duplicate and "possible_duplicate" not in duplicate

    from services.routing.models import DeadlineExtension

    with scopes_disabled():
        extension = DeadlineExtension.objects.get(case_id=case.id)
        assert str(extension) == f"案件 {case.tracking_number}：办结期限延长 3 个工作日"
    listing = staff.get("/admin/routing/deadlineextension/").content.decode()
    assert f"案件 {case.tracking_number}：办结期限延长 3 个工作日" in listing
