"""Possible duplicates (疑似重复): a new case that looks like an open one at the same place.

Staff see the link and decide (作废 as a duplicate, or carry on); the citizen is never blocked,
so this runs after the submission, in the intake worker.

"Looks like": same tenant and scenario, still open, submitted within DUPLICATE_WINDOW before
it, at the same entry point or the same place label, and a text similarity of at least
SIMILARITY_THRESHOLD. Similarity is the Jaccard index of character bigrams of the
description and the free-text extra fields: Chinese has no spaces to split words on, and
bigrams catch "老板拖欠工资" ≈ "拖欠工资的老板" without a tokenizer.
"""

import logging
import re
import unicodedata
from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_noop

from .models import Case, ScenarioField
from .states import OPEN_STATES
from .timeline import SystemNote
from .workflow import record_note

logger = logging.getLogger(__name__)

DUPLICATE_WINDOW = timedelta(days=14)
SIMILARITY_THRESHOLD = 0.5
MAX_CANDIDATES = 200  # newest first; a place with more open cases than this is already busy

_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def _text(case: Case, text_fields: set[str]) -> str:
    parts = [case.description, *(str(case.extra.get(name, "")) for name in sorted(text_fields))]
    normalised = unicodedata.normalize("NFKC", " ".join(parts)).lower()
    return _NOISE.sub("", normalised)


def _bigrams(text: str) -> set[str]:
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard index of the character bigrams of two normalised texts, 0..1."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def find_possible_duplicate(case: Case) -> tuple[Case, float] | None:
    """The most similar open earlier case at the same place, with its similarity, or None."""
    same_place = Q()
    if case.entry_point_id:
        same_place |= Q(entry_point_id=case.entry_point_id)
    if case.place_label:
        same_place |= Q(place_label=case.place_label)
    if not same_place:
        return None  # nowhere to compare: a desk case with no place given
    candidates = (
        Case.objects.filter(
            same_place,
            tenant_id=case.tenant_id,
            scenario_id=case.scenario_id,
            state__in=OPEN_STATES,
            created_at__gte=case.created_at - DUPLICATE_WINDOW,
            created_at__lte=case.created_at,
        )
        .exclude(pk=case.pk)
        .order_by("-created_at")[:MAX_CANDIDATES]
    )
    text_fields = set(
        case.scenario.fields.filter(kind__in=ScenarioField.TEXT_KINDS).values_list(
            "name", flat=True
        )
    )
    mine = _text(case, text_fields)
    best: tuple[Case, float] | None = None
    for other in candidates:
        score = similarity(mine, _text(other, text_fields))
        if score >= SIMILARITY_THRESHOLD and (best is None or score > best[1]):
            best = (other, score)
    return best


def flag_possible_duplicate(case_id: int) -> Case | None:
    """Links the case to its likeliest open duplicate and notes it for staff. Idempotent."""
    case = Case.objects.select_related("scenario").get(pk=case_id)
    if case.possible_duplicate_of_id is not None:
        return None
    found = find_possible_duplicate(case)
    if found is None:
        return None
    other, score = found
    if not Case.objects.filter(pk=case.pk, possible_duplicate_of__isnull=True).update(
        possible_duplicate_of=other
    ):
        return None  # a concurrent delivery of the same event got here first
    record_note(
        case,
        action="possible_duplicate",
        note=SystemNote(
            gettext_noop(
                "疑似与案件 %(number)s 重复（文字相似度 %(score)d%%），请核实；确属重复可作废。"
            ),
            {"number": other.tracking_number, "score": round(score * 100)},
        ),
    )
    logger.info(
        "Case %s (tenant %s) flagged as a possible duplicate of case %s (similarity %.2f)",
        case.pk,
        case.tenant_id,
        other.pk,
        score,
    )
    return other
