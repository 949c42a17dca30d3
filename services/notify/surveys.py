"""满意度回访: the result and the survey on 办结, the answer by SMS or web, one reminder, and
expiry ("no response") when the survey window passes."""

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from services import eventbus, public_urls, satisfaction
from services.eventbus import periodic
from services.intake import api as intake

from . import events
from .kinds import Kind
from .models import Survey
from .optout import is_opted_out
from .outbox import send_sms
from .preferences import quiet_until, settings_for

logger = logging.getLogger(__name__)


def survey_url(survey: Survey) -> str:
    return public_urls.survey(survey.token)


def status_url(access_key: str) -> str:
    return public_urls.case_status(access_key)


def start_survey(case_id: int) -> Survey | None:
    """On 办结: the result and the survey, once per resolution round.

    A number that opted out gets the result alone (essential); its survey still opens, so a
    rating it sends of its own accord counts, and the window still closes the case.
    """
    case = intake.get_case(case_id)
    if not case.reporter_phone:
        return None  # anonymous: nobody to tell or ask
    prefs = settings_for(case.tenant_id)
    with scopes_disabled(), transaction.atomic():
        survey, created = Survey.objects.get_or_create(
            case_id=case_id,
            round=case.reopen_count,
            defaults={
                "tenant_id": case.tenant_id,
                "phone": case.reporter_phone,
                "tracking_number": case.tracking_number,
            },
        )
        if not created:
            return survey
        # The window opens when the citizen can first see the SMS, not during the night.
        now = timezone.now()
        opens = quiet_until(case.tenant_id, now) or now
        window = timedelta(days=prefs.survey_window_days)
        remind_after = timedelta(hours=prefs.survey_reminder_after_hours)
        survey.expires_at = opens + window
        survey.remind_at = opens + remind_after if remind_after < window else None
        survey.save(update_fields=["expires_at", "remind_at"])
        common: dict[str, Any] = {
            "tenant_id": case.tenant_id,
            "to": case.reporter_phone,
            "case_id": case_id,
            "tracking_number": case.tracking_number,
            "result": case.result,
        }
        if is_opted_out(case.tenant_id, case.reporter_phone):
            send_sms(
                kind=Kind.RESULT,
                key=f"result:{case_id}:{survey.round}",
                status_url=status_url(case.access_key),
                **common,
            )
        else:
            send_sms(
                kind=Kind.SURVEY,
                key=f"survey:{case_id}:{survey.round}",
                survey_url=survey_url(survey),
                **common,
            )
    return survey


def answer_survey(survey_id: int, rating: int, comment: str = "", *, via: str) -> bool:
    """Records the rating and tells intake, which closes, reopens or escalates the case.
    False when the survey was no longer open (answered already, expired)."""
    satisfied = satisfaction.is_satisfied(rating)
    with scopes_disabled(), transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        if survey.state != Survey.State.OPEN:
            return False
        survey.state = Survey.State.ANSWERED
        survey.rating = rating
        survey.comment = comment
        survey.answered_via = via
        survey.answered_at = timezone.now()
        survey.save(update_fields=["state", "rating", "comment", "answered_via", "answered_at"])
        eventbus.publish(
            events.SurveyAnswered(
                tenant_id=survey.tenant_id,
                case_id=survey.case_id,
                survey_id=survey.pk,
                rating=rating,
                comment=comment,
                satisfied=satisfied,
            )
        )
        send_sms(
            tenant_id=survey.tenant_id,
            kind=_acknowledgement(satisfied, survey.round),
            to=survey.phone,
            key=f"thanks:{survey.pk}",
            case_id=survey.case_id,
            tracking_number=survey.tracking_number,
        )
    logger.info("Survey %s of case %s answered by %s: %s", survey.pk, survey.case_id, via, rating)
    return True


def _acknowledgement(satisfied: bool, round_: int) -> str:
    """What the citizen hears back; intake reopens after a first dissatisfaction and escalates
    after a second."""
    if satisfied:
        return Kind.THANKS
    return Kind.REOPENED if round_ == 0 else Kind.ESCALATED


def cancel_open_surveys(case_id: int) -> int:
    """The case closed some other way (作废): stop asking about it."""
    with scopes_disabled():
        return Survey.objects.filter(case_id=case_id, state=Survey.State.OPEN).update(
            state=Survey.State.CANCELLED
        )


@periodic.every(minutes=5)
@task(queue_name="notify")
def survey_deadlines() -> dict[str, int]:
    """Sends due reminders and expires surveys whose window has passed."""
    now = timezone.now()
    return {"reminded": send_due_reminders(now), "expired": expire_due_surveys(now)}


def send_due_reminders(now: datetime) -> int:
    sent = 0
    with scopes_disabled():
        due = Survey.objects.filter(
            state=Survey.State.OPEN,
            remind_at__lte=now,
            reminded_at__isnull=True,
            expires_at__gt=now,
        )
        for survey in due:
            with transaction.atomic():
                # Claim the reminder first: a second scheduler pass must not send it again.
                if not Survey.objects.filter(pk=survey.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                ):
                    continue
                send_sms(
                    tenant_id=survey.tenant_id,
                    kind=Kind.SURVEY_REMINDER,
                    to=survey.phone,
                    key=f"reminder:{survey.pk}",
                    case_id=survey.case_id,
                    tracking_number=survey.tracking_number,
                    survey_url=survey_url(survey),
                    deadline=_local_deadline(survey),
                )
                sent += 1
    return sent


def expire_due_surveys(now: datetime) -> int:
    """No answer in the window: `survey.expired`, on which intake closes the case (未回复)."""
    expired = 0
    with scopes_disabled():
        for survey in Survey.objects.filter(state=Survey.State.OPEN, expires_at__lte=now):
            with transaction.atomic():
                if not Survey.objects.filter(pk=survey.pk, state=Survey.State.OPEN).update(
                    state=Survey.State.EXPIRED
                ):
                    continue
                eventbus.publish(
                    events.SurveyExpired(
                        tenant_id=survey.tenant_id, case_id=survey.case_id, survey_id=survey.pk
                    )
                )
                expired += 1
    if expired:
        logger.info("%d survey(s) expired without an answer", expired)
    return expired


def _local_deadline(survey: Survey) -> str:
    prefs = settings_for(survey.tenant_id)
    if survey.expires_at is None:  # not sent yet: no deadline to name
        return ""
    local = survey.expires_at.astimezone(ZoneInfo(prefs.time_zone))
    if prefs.language == "en":
        return local.strftime("%d %b %H:%M")
    return f"{local.month}月{local.day}日 {local:%H:%M}"
