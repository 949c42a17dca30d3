"""The SMS outbox: every SMS is a row first, sent only by the notify worker, at most once.

A message is claimed (`sending`) before the provider is called. Transient failures go back to
`queued` with backoff; permanent ones stop (`failed`). When an attempt's outcome is unknown —
a read timeout, a 500, a worker that died mid-send — nothing is sent again until the provider
has been asked whether it already holds the message (`needs_lookup`; `reconcile_stuck`).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from services import eventbus
from services.directory.api import sms_reaches
from services.eventbus import periodic
from services.privacy import mask_phone, mask_text

from .backends import OutgoingSms, PermanentSmsError, ProviderRecord, TransientSmsError, get_backend
from .credentials import CredentialsMissing
from .kinds import is_essential, is_immediate
from .models import Message
from .optout import is_opted_out
from .preferences import quiet_until, settings_for
from .provider_errors import describe
from .texts import render

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8
# A send takes at most the HTTP timeout (10 s) and two small writes; a row `sending` for longer
# than this was left by a worker that died.
SENDING_STALE_AFTER = timedelta(minutes=2)
# A queued message this far past its time has lost its task (e.g. the task failed on a database
# error): it is enqueued again. Extra tasks are harmless: only one can claim the row.
QUEUED_STALE_AFTER = timedelta(minutes=15)
# Clocks differ: look a little before our own row was written.
LOOKUP_CLOCK_SKEW = timedelta(minutes=5)


def send_sms(
    *,
    tenant_id: int,
    kind: str,
    to: str,
    key: str,
    case_id: int | None = None,
    urgent: bool | None = None,
    **values: str,
) -> Message:
    """Queues the template `kind` with its parameters `values` under `key` (once per key),
    with the tenant's own text rendered for providers that send free text."""
    language = settings_for(tenant_id).language
    body = render(tenant_id, kind, language, **values)
    return queue_message(
        tenant_id=tenant_id,
        to=to,
        body=body,
        kind=kind,
        key=key,
        case_id=case_id,
        urgent=urgent,
        params=values,
    )


def queue_message(
    *,
    tenant_id: int,
    to: str,
    body: str,
    kind: str,
    key: str,
    case_id: int | None = None,
    urgent: bool | None = None,
    params: dict[str, str] | None = None,
) -> Message:
    """Stores the SMS and enqueues its delivery in the caller's transaction; one per `key`.
    `params` are the template's parameters, for providers that send approved templates.

    Non-urgent messages wait for the end of the tenant's quiet hours; non-essential ones to a
    number that opted out are kept as `suppressed` and never sent.
    """
    urgent = is_immediate(kind) if urgent is None else urgent
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():
        message, created = Message.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "tenant_id": tenant_id,
                "to": to,
                "body": body,
                "purpose": kind,
                "case_id": case_id,
                "urgent": urgent,
                "params": {name: str(value) for name, value in (params or {}).items()},
            },
        )
        if not created:
            return message
        if not is_essential(kind) and is_opted_out(tenant_id, to):
            message.state = Message.State.SUPPRESSED
            message.save(update_fields=["state"])
            logger.info("SMS %s (%s, case %s) suppressed: opted out", message.pk, kind, case_id)
            return message
        if not sms_reaches(tenant_id, to):
            message.state = Message.State.ABROAD
            message.save(update_fields=["state"])
            logger.info(
                "SMS %s (%s, case %s) not sent: %s is abroad and tenant %s sends no SMS abroad",
                message.pk,
                kind,
                case_id,
                mask_phone(to),
                tenant_id,
            )
            return message
        wait = None if urgent else quiet_until(tenant_id, now)
        message.next_attempt_at = wait or now
        message.save(update_fields=["next_attempt_at"])
        _enqueue(message.pk, wait)
        if wait is not None:
            logger.info(
                "SMS %s (%s, case %s) waits for %s: quiet hours",
                message.pk,
                kind,
                case_id,
                wait.isoformat(timespec="minutes"),
            )
    return message


def _enqueue(message_id: int, run_after: datetime | None) -> None:
    if run_after is None:
        deliver_message.enqueue(message_id)
    else:
        deliver_message.using(run_after=run_after).enqueue(message_id)


def status_callback_url(message_id: int) -> str:
    """Where Twilio reports delivery; it carries our reference, so a report reconciles a row
    whose worker died before it could record the provider's id."""
    return f"{settings.PUBLIC_BASE_URL}/sms/status/?ref={message_id}"


@task(queue_name="notify")
def deliver_message(message_id: int) -> str:
    """Sends one queued message (or defers it to the end of quiet hours)."""
    with scopes_disabled():
        message = Message.objects.filter(pk=message_id).first()
        if message is None or message.state != Message.State.QUEUED:
            return "skipped"
        now = timezone.now()
        wait = None if message.urgent else quiet_until(message.tenant_id, now)
        if wait is not None:
            # E.g. a retry whose backoff ran into the night.
            Message.objects.filter(pk=message_id).update(next_attempt_at=wait)
            _enqueue(message_id, wait)
            return "deferred"
        if not is_essential(message.purpose) and is_opted_out(message.tenant_id, message.to):
            Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
                state=Message.State.SUPPRESSED
            )
            return "suppressed"
        claimed = _claim(message_id)
        if claimed is None:
            return "skipped"
        return _attempt(claimed)


def _claim(message_id: int) -> Message | None:
    """Marks the message as being sent, so no other worker (or redelivery) sends it again."""
    with scopes_disabled(), transaction.atomic():
        claimed = Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
            state=Message.State.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
        return Message.objects.get(pk=message_id) if claimed else None


def _attempt(message: Message) -> str:
    try:
        backend = get_backend(message.tenant_id)
        if message.sender != backend.sender:
            Message.objects.filter(pk=message.pk).update(sender=backend.sender)
            message.sender = backend.sender
        if message.needs_lookup and backend.can_look_up:
            found = _find_at_provider(backend, message)
            if found is not None:
                logger.info(
                    "SMS %s (case %s) was already taken by the provider as %s: not resent",
                    message.pk,
                    message.case_id,
                    found.provider_id,
                )
                _record_sent(message, found.provider_id)
                return "found"
        provider_id = backend.send(
            OutgoingSms(
                to=message.to,
                body=message.body,
                sender=backend.sender,
                status_callback=status_callback_url(message.pk),
                kind=message.purpose,
                params=message.params,
                ref=str(message.pk),
            )
        )
    except CredentialsMissing as exc:
        _retry_later(message, TransientSmsError(str(exc), code="config", ambiguous=False))
        return "retry"
    except TransientSmsError as exc:
        _retry_later(message, exc)
        return "retry"
    except PermanentSmsError as exc:
        _fail(message, exc.code, str(exc))
        return "failed"
    _record_sent(message, provider_id)
    return "sent"


def _find_at_provider(backend, message: Message) -> ProviderRecord | None:
    """The provider's copy of this message, if it has one no other row has claimed."""
    since = message.created_at - LOOKUP_CLOCK_SKEW
    taken = set(
        Message.objects.filter(tenant_id=message.tenant_id, to=message.to)
        .exclude(pk=message.pk)
        .exclude(provider_id="")
        .values_list("provider_id", flat=True)
    )
    for record in backend.find(to=message.to, sender=message.sender, since=since):
        if record.ref:
            # The provider kept our reference: that, not the text, says which row it is.
            if record.ref == str(message.pk):
                return record
        elif record.body == message.body and record.provider_id not in taken:
            return record
    return None


def _record_sent(message: Message, provider_id: str) -> None:
    # Only from `sending`: a delivery report may already have moved the row further on.
    Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
        state=Message.State.SENT,
        provider_id=provider_id,
        sent_at=timezone.now(),
        claimed_at=None,
        needs_lookup=False,
        next_attempt_at=None,
        error_code="",
        last_error="",
    )


def _context(message: Message) -> str:
    return (
        f"SMS {message.pk} ({message.purpose}, case {message.case_id}, "
        f"tenant {message.tenant_id}, to {mask_phone(message.to)})"
    )


def _retry_later(message: Message, exc: TransientSmsError) -> None:
    if message.attempts >= MAX_SEND_ATTEMPTS:
        _fail(message, exc.code, f"{exc} — gave up after {message.attempts} attempts")
        return
    when = timezone.now() + eventbus.retry_delay(message.attempts)
    logger.warning(
        "%s attempt %d failed [%s]: %s; retrying at %s",
        _context(message),
        message.attempts,
        exc.code,
        mask_text(str(exc)),
        when.isoformat(timespec="seconds"),
    )
    with transaction.atomic():
        moved = Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
            state=Message.State.QUEUED,
            claimed_at=None,
            next_attempt_at=when,
            needs_lookup=message.needs_lookup or exc.ambiguous,
            error_code=exc.code,
            last_error=describe(exc.code, str(exc)),
        )
        if moved:
            _enqueue(message.pk, when)


def _fail(message: Message, code: str, error: str) -> None:
    logger.error("%s failed for good [%s]: %s", _context(message), code, mask_text(error))
    Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
        state=Message.State.FAILED,
        claimed_at=None,
        next_attempt_at=None,
        error_code=code,
        last_error=describe(code, error),
    )


@periodic.every(minutes=2)
@task(queue_name="notify")
def reconcile_stuck() -> int:
    """Rows left `sending` by a dead worker: found at the provider → sent; provably not there
    → queued again; provider cannot be asked → `review` for an operator. Never a blind resend.
    Also re-enqueues queued rows whose task went missing."""
    now = timezone.now()
    with scopes_disabled():
        stuck = list(
            Message.objects.filter(
                state=Message.State.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER
            ).order_by("claimed_at")[:200]
        )
        for message in stuck:
            reconcile(message)
        lost = list(
            Message.objects.filter(
                state=Message.State.QUEUED, next_attempt_at__lt=now - QUEUED_STALE_AFTER
            ).values_list("pk", flat=True)[:500]
        )
        for message_id in lost:
            with transaction.atomic():
                Message.objects.filter(pk=message_id).update(next_attempt_at=now)
                _enqueue(message_id, None)
        if lost:
            logger.warning("Re-enqueued %d queued SMS whose delivery task was lost", len(lost))
    return len(stuck) + len(lost)


def reconcile(message: Message) -> str:
    """Settles one message stuck in `sending`; returns what became of it."""
    with scopes_disabled():
        return _reconcile(message)


def _reconcile(message: Message) -> str:
    try:
        backend = get_backend(message.tenant_id)
        if not backend.can_look_up:
            _to_review(
                message, "发送中断（处理进程退出），无法向服务商核实是否已发出，请人工确认。"
            )
            return "review"
        message.sender = message.sender or backend.sender
        found = _find_at_provider(backend, message)
    except (TransientSmsError, CredentialsMissing) as exc:
        logger.warning("%s could not be checked yet: %s", _context(message), mask_text(str(exc)))
        return "unchecked"
    except PermanentSmsError as exc:
        _to_review(message, f"发送中断，向服务商核实失败：{exc}")
        return "review"
    if found is not None:
        logger.warning(
            "%s was left sending by a dead worker; the provider has it as %s",
            _context(message),
            found.provider_id,
        )
        _record_sent(message, found.provider_id)
        return "sent"
    logger.warning(
        "%s was left sending by a dead worker before the provider took it; requeued",
        _context(message),
    )
    with transaction.atomic():
        moved = Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
            state=Message.State.QUEUED,
            claimed_at=None,
            needs_lookup=True,
            next_attempt_at=timezone.now(),
            last_error="发送中断（处理进程退出），服务商处未找到该短信，已重新排队。",
        )
        if moved:
            _enqueue(message.pk, None)
    return "requeued"


def _to_review(message: Message, reason: str) -> None:
    logger.error("%s needs an operator: %s", _context(message), reason)
    Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
        state=Message.State.REVIEW, claimed_at=None, last_error=reason
    )


def requeue_by_operator(message_ids: list[int], user_label: str) -> int:
    """An operator confirmed these (failed or in review) were not sent: try again from scratch.

    The provider is still asked first where it can be, in case the operator was wrong."""
    requeued = 0
    with scopes_disabled():
        for message in Message.objects.filter(
            pk__in=message_ids, state__in=[Message.State.REVIEW, Message.State.FAILED]
        ):
            with transaction.atomic():
                moved = Message.objects.filter(pk=message.pk, state=message.state).update(
                    state=Message.State.QUEUED,
                    attempts=0,
                    needs_lookup=True,
                    next_attempt_at=timezone.now(),
                    last_error=f"{message.last_error}\n由 {user_label} 重新排队。".strip(),
                )
                if moved:
                    _enqueue(message.pk, None)
                    requeued += 1
    logger.info("%s requeued %d SMS by hand", user_label, requeued)
    return requeued


def confirm_sent_by_operator(message_ids: list[int], user_label: str) -> int:
    """An operator confirmed these (in review) did go out."""
    with scopes_disabled():
        done = Message.objects.filter(pk__in=message_ids, state=Message.State.REVIEW).update(
            state=Message.State.SENT,
            sent_at=timezone.now(),
            last_error=f"由 {user_label} 确认已发出。",
        )
    logger.info("%s confirmed %d SMS as sent by hand", user_label, done)
    return done


# Delivery statuses (Twilio's words; other providers' reports are put in them) → ours; the rest
# (queued, sending, accepted …) change nothing.
PROVIDER_STATUS = {
    "sent": Message.State.SENT,
    "delivered": Message.State.DELIVERED,
    "read": Message.State.DELIVERED,
    "undelivered": Message.State.UNDELIVERED,
    "failed": Message.State.FAILED,
}
_RANK: dict[str, int] = {
    Message.State.QUEUED: 0,
    Message.State.SENDING: 0,
    Message.State.REVIEW: 0,
    Message.State.SENT: 1,
    Message.State.DELIVERED: 2,
    Message.State.UNDELIVERED: 2,
    Message.State.FAILED: 2,
}


def record_delivery_status(
    *,
    ref: str,
    provider_id: str,
    status: str,
    error_code: str = "",
    detail: str = "",
    tenant_id: int | None = None,
) -> str:
    """An (authenticated) delivery report: moves the message forward, never back. Reports may
    arrive out of order, twice, or before our worker recorded the provider's id. `tenant_id`,
    when the report's URL names the tenant, confines it to that tenant's messages."""
    with scopes_disabled(), transaction.atomic():
        messages = Message.objects.select_for_update()
        if tenant_id is not None:
            messages = messages.filter(tenant_id=tenant_id)
        message = None
        if ref.isdigit():
            message = messages.filter(pk=int(ref)).first()
        if message is None and provider_id:
            message = messages.filter(provider_id=provider_id).first()
        if message is None:
            logger.warning("Delivery report %s (%s) for no message of ours", provider_id, status)
            return "unknown"
        if message.provider_id and provider_id and message.provider_id != provider_id:
            logger.error(
                "%s has provider id %s but a report came for %s: sent twice?",
                _context(message),
                message.provider_id,
                provider_id,
            )
            return "mismatch"
        target = PROVIDER_STATUS.get(status)
        fields = []
        if provider_id and not message.provider_id:
            message.provider_id = provider_id
            fields.append("provider_id")
        if target and _RANK.get(message.state, 9) < _RANK[target]:
            if message.state in (Message.State.QUEUED, Message.State.SENDING, Message.State.REVIEW):
                message.sent_at = timezone.now()
                message.claimed_at = None
                message.needs_lookup = False
                message.next_attempt_at = None
                fields += ["sent_at", "claimed_at", "needs_lookup", "next_attempt_at"]
            message.state = target
            fields.append("state")
        if error_code:
            message.error_code = error_code
            message.last_error = describe(
                error_code, detail or f"Twilio {status} code {error_code}"
            )
            fields += ["error_code", "last_error"]
        if fields:
            message.save(update_fields=[*fields, "updated_at"])
        if target in (Message.State.FAILED, Message.State.UNDELIVERED):
            logger.warning("%s %s [%s]", _context(message), status, error_code)
    return message.state


def tenant_of_message(ref: str) -> int | None:
    """The tenant a delivery report's reference points at (to pick the signing token)."""
    if not ref.isdigit():
        return None
    with scopes_disabled():
        return Message.objects.filter(pk=int(ref)).values_list("tenant_id", flat=True).first()
