"""Reading cases for staff screens: the command room's lists and counts (指挥室大屏) and the
case side of the monthly governance report (月度考核).

Everything here reads one tenant's cases, named explicitly, and returns plain values — never
model instances — so the pages can use them through `api.py`. Counts group in the database;
a "township" (镇街) is the top of a case's region path.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from services import satisfaction
from services.directory import api as directory
from services.identifiers.phones import phone_search_term
from services.identifiers.tracking_numbers import normalise_tracking_number
from services.privacy import mask_phone, phone_hash

from .models import Case, CaseEvent, Scenario
from .search import text_condition
from .states import OPEN_STATES, CaseState


@dataclass(frozen=True)
class CaseCard:
    """One case as a line on the command-room screen. The description is citizen input:
    pages must escape it (templates do; scripts set textContent)."""

    id: int
    tracking_number: str
    scenario: str
    township: str
    place: str
    department: str
    state: str
    state_label: str
    phone: str  # masked; empty for confidential scenarios (举报类)
    excerpt: str
    created_at: dt.datetime
    escalated: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tracking_number": self.tracking_number,
            "scenario": self.scenario,
            "township": self.township,
            "place": self.place,
            "department": self.department,
            "state": self.state,
            "state_label": self.state_label,
            "phone": self.phone,
            "excerpt": self.excerpt,
            "created_at": timezone.localtime(self.created_at).isoformat(),
            "escalated": self.escalated,
        }


EXCERPT_LENGTH = 60


def _cases(tenant_id: int):
    with scopes_disabled():
        return Case.objects.filter(tenant_id=tenant_id)


def case_cards(
    tenant_id: int,
    *,
    after_id: int | None = None,
    ids: Any = None,
    states: list[str] | None = None,
    limit: int = 20,
) -> list[CaseCard]:
    """The tenant's cases, newest first: after an id (the live feed), among `ids` (a list or a
    values_list subquery, e.g. the red deadlines), in `states` (the dispatch queue)."""
    cases = _cases(tenant_id)
    if after_id is not None:
        cases = cases.filter(pk__gt=after_id)
    if ids is not None:
        cases = cases.filter(pk__in=ids)
    if states:
        cases = cases.filter(state__in=states)
    rows = cases.select_related("scenario", "region", "department").order_by("-pk")[:limit]
    towns = directory.townships(tenant_id)
    labels = dict(CaseState.choices)
    return [
        CaseCard(
            id=c.pk,
            tracking_number=c.tracking_number,
            scenario=c.scenario.name,
            township=_township_name(towns, c.region.path if c.region else ""),
            place=c.place_label,
            department=c.department.name if c.department else "",
            state=c.state,
            state_label=str(labels.get(c.state, c.state)),
            # Screens are shared: a confidential reporter's number is not on them at all.
            phone=mask_phone(c.reporter_phone) if not c.scenario.confidential else "",
            excerpt=c.description[:EXCERPT_LENGTH],
            created_at=c.created_at,
            escalated=c.escalated,
        )
        for c in rows
    ]


def latest_case_id(tenant_id: int) -> int:
    return _cases(tenant_id).order_by("-pk").values_list("pk", flat=True).first() or 0


def _township_name(towns: dict[int, str], path: str) -> str:
    town = directory.township_of(path)
    return towns.get(town, "") if town is not None else ""


def _by_township(tenant_id: int, rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(region path, n) rows folded into (township name, n), largest first."""
    towns = directory.townships(tenant_id)
    folded: Counter = Counter()
    for path, n in rows:
        folded[_township_name(towns, path or "") or _("未指定区域")] += n
    return folded.most_common()


def counts_since(tenant_id: int, since: dt.datetime) -> dict[str, list[tuple[str, int]]]:
    """Cases received since `since`, counted by scenario, township and current state."""
    cases = _cases(tenant_id).filter(created_at__gte=since).order_by()
    by_scenario = cases.values_list("scenario__name").annotate(n=Count("pk"))
    by_region = cases.values_list("region__path").annotate(n=Count("pk"))
    by_state = dict(cases.values_list("state").annotate(n=Count("pk")))
    return {
        "scenario": sorted(by_scenario, key=lambda row: -row[1]),
        "township": _by_township(tenant_id, list(by_region)),
        "state": [
            (str(label), by_state[value]) for value, label in CaseState.choices if value in by_state
        ],
    }


def daily_counts_by_scenario(
    tenant_id: int, first_day: dt.date, days: int
) -> tuple[list[dt.date], dict[str, list[int]]]:
    """Cases received per day (platform time zone) for `days` days from `first_day`, per scenario."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=days)
    day_list = [first_day + dt.timedelta(days=i) for i in range(days)]
    with scopes_disabled():
        names = list(
            Scenario.objects.filter(tenant_id=tenant_id)
            .order_by("pk")
            .values_list("name", flat=True)
        )
    series = {name: [0] * days for name in names}
    rows = (
        _cases(tenant_id)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values_list("day", "scenario__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for day, name, n in rows:
        series.setdefault(name, [0] * days)[(day - first_day).days] += n
    return day_list, series


def satisfaction_by_township(
    tenant_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Per township, the cases closed in [start, end) with a rating: how many, their average
    rating (on the scale of services.satisfaction: lower is better) and the share satisfied (%)."""
    closed = _closed_with_rating(tenant_id, start, end)
    rows = closed.values_list("region__path").annotate(
        total=Count("pk"),
        avg=Avg("rating"),
        satisfied=Count("pk", filter=satisfaction.satisfied_q()),
    )
    towns = directory.townships(tenant_id)
    folded: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for path, total, avg, satisfied in rows:
        name = _township_name(towns, path or "") or _("未指定区域")
        folded[name][0] += total
        folded[name][1] += avg * total
        folded[name][2] += satisfied
    return [
        {
            "township": name,
            "rated": total,
            "average": round(weighted / total, 2),
            "satisfied_rate": round(100 * satisfied / total, 1),
        }
        for name, (total, weighted, satisfied) in sorted(folded.items())
    ]


def _closed_with_rating(tenant_id: int, start: dt.datetime, end: dt.datetime):
    with scopes_disabled():
        closed_ids = CaseEvent.objects.filter(
            case__tenant_id=tenant_id, action="close", at__gte=start, at__lt=end
        ).values("case_id")
    return _cases(tenant_id).filter(pk__in=closed_ids, rating__isnull=False).order_by()


def monthly_case_figures(
    tenant_id: int, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[int | None, dict[str, Any]]]:
    """The case side of the monthly report, per department and per township id:
    reopened (重办) in the month, and the satisfaction of the cases closed in the month —
    rated, average rating (on the scale: lower is better), how many satisfied (the scale's
    is_satisfied)."""
    with scopes_disabled():
        reopened = list(
            CaseEvent.objects.filter(
                case__tenant_id=tenant_id, action="reopen", at__gte=start, at__lt=end
            ).values_list("case__department_id", "case__region__path")
        )
    rated = list(
        _closed_with_rating(tenant_id, start, end).values_list(
            "department_id", "region__path", "rating"
        )
    )
    figures: dict[str, dict] = {"departments": {}, "townships": {}}

    def row(kind: str, key) -> dict[str, Any]:
        return figures[kind].setdefault(
            key, {"reopened": 0, "rated": 0, "rating_sum": 0, "satisfied": 0}
        )

    for department_id, path in reopened:
        row("departments", department_id)["reopened"] += 1
        row("townships", directory.township_of(path or ""))["reopened"] += 1
    for department_id, path, rating in rated:
        for kind, key in (
            ("departments", department_id),
            ("townships", directory.township_of(path or "")),
        ):
            entry = row(kind, key)
            entry["rated"] += 1
            entry["rating_sum"] += rating
            entry["satisfied"] += satisfaction.is_satisfied(rating)
    for table in figures.values():
        for entry in table.values():
            rating_sum = entry.pop("rating_sum")
            entry["average_rating"] = (
                round(rating_sum / entry["rated"], 2) if entry["rated"] else None
            )
    return figures


ACTIVITY_EVENTS = {"resolve": "resolutions", "reopen": "reopened", "escalate": "escalations"}
SURVEY_ACTIONS = ("close", "reopen", "escalate")  # what a citizen's survey answer records


def township_month_activity(
    tenant_id: int, start: dt.datetime, end: dt.datetime
) -> dict[int | None, dict[str, int]]:
    """Per township id (None: no region), what happened to the tenant's cases in [start, end):
    received (受理), of those flagged as possible duplicates (疑似重复), resolutions (办结,
    each 办结 counts, a reopened case's second one too), reopened (重办), escalations (督办),
    and the citizens' survey answers given in the range: rated, and of them satisfied (the
    scale's is_satisfied).
    The governance index's measures read this; counts only, grouped in the database."""
    figures: dict[int | None, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("received", "duplicates", *ACTIVITY_EVENTS.values(), "rated", "satisfied"), 0
        )
    )
    received = (
        _cases(tenant_id)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list("region__path")
        .annotate(
            n=Count("pk"), duplicates=Count("pk", filter=Q(possible_duplicate_of__isnull=False))
        )
        .order_by()
    )
    for path, n, duplicates in received:
        row = figures[directory.township_of(path or "")]
        row["received"] += n
        row["duplicates"] += duplicates
    with scopes_disabled():
        events = (
            CaseEvent.objects.filter(
                case__tenant_id=tenant_id,
                action__in=list(ACTIVITY_EVENTS),
                at__gte=start,
                at__lt=end,
            )
            .values_list("case__region__path", "action")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for path, action, n in events:
            figures[directory.township_of(path or "")][ACTIVITY_EVENTS[action]] += n
    with scopes_disabled():
        # Every survey answer of the month (its rating is on the timeline row it made: 结案,
        # 重办 or 督办), so a dissatisfied answer that reopened the case counts too.
        answers = CaseEvent.objects.filter(
            case__tenant_id=tenant_id,
            action__in=SURVEY_ACTIONS,
            at__gte=start,
            at__lt=end,
            note_params__has_key="rating",
        ).values_list("case__region__path", "note_params")
        for path, params in answers:
            row = figures[directory.township_of(path or "")]
            row["rated"] += 1
            row["satisfied"] += satisfaction.is_satisfied(int(params["rating"]))
    return dict(figures)


def open_case_count(tenant_id: int, state: str) -> int:
    """How many of the tenant's cases are in `state` (small states: the dispatch queue)."""
    return _cases(tenant_id).filter(state=state).count()


def search_filter(term: str, phone_region: str) -> Q | None:
    """What a staff search box term means: a tracking number, a phone number, or text.

    Tracking numbers and phones match exactly (indexed), however they are typed (the
    identifier parsers decide); anything else searches the description and place (search.py:
    indexed by bigrams on PostgreSQL). None for an empty term.
    """
    term = term.strip()
    if not term:
        return None
    # Eleven digits can be both (13012045678: a mobile, or the number of a case of 2013-01-20).
    tracking_number = normalise_tracking_number(term)
    phone = phone_search_term(term, phone_region)
    if tracking_number or phone:
        return Q(tracking_number=tracking_number or None) | Q(
            reporter_phone_hash=phone_hash(phone) or None
        )
    return text_condition(term)


# 未办结: still to be handled. A resolved case only waits for the citizen's rating.
UNRESOLVED_STATES = [s for s in OPEN_STATES if s != CaseState.RESOLVED]


def open_cases_by_township(tenant_id: int, ids: Any = None) -> dict[int, int]:
    """How many of the tenant's unresolved cases (未办结) each township has, township id → n;
    only among `ids` when given (e.g. the red deadlines). Townships without any are absent."""
    cases = _cases(tenant_id).filter(state__in=UNRESOLVED_STATES).order_by()
    if ids is not None:
        cases = cases.filter(pk__in=ids)
    folded: Counter = Counter()
    for path, n in cases.values_list("region__path").annotate(n=Count("pk")):
        town = directory.township_of(path or "")
        if town is not None:
            folded[town] += n
    return dict(folded)


@dataclass(frozen=True)
class CasePoint:
    """Where one case happened, for the map. Coordinates are private like a phone number:
    only pages whose reader may see them (directory policy) draw these."""

    id: int
    tracking_number: str
    latitude: float
    longitude: float
    state: str


MAX_POINTS = 2000  # the newest; a wall screen shows no more legibly


def case_points(
    tenant_id: int,
    *,
    open_only: bool = True,
    received_from: dt.datetime | None = None,
    received_before: dt.datetime | None = None,
    limit: int = MAX_POINTS,
) -> list[CasePoint]:
    """The tenant's cases that carry coordinates, newest first: the open ones (the command
    room: unresolved, 未办结), or those received in [received_from, received_before) (the
    monthly report)."""
    cases = _cases(tenant_id).filter(latitude__isnull=False, longitude__isnull=False)
    if open_only:
        cases = cases.filter(state__in=UNRESOLVED_STATES)
    if received_from is not None:
        cases = cases.filter(created_at__gte=received_from)
    if received_before is not None:
        cases = cases.filter(created_at__lt=received_before)
    rows = cases.order_by("-pk").values_list(
        "pk", "tracking_number", "latitude", "longitude", "state"
    )[:limit]
    return [CasePoint(*row) for row in rows]
