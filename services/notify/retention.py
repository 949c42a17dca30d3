"""保存期限, notify's part: a case past its retention period loses the citizen's number from
its SMS, surveys and replies (intake's retention decides which cases; see intake/retention.py).

The rows stay, for the outbox's and the surveys' statistics; their number is blanked and
their texts lose any phone number in them. Running it again changes nothing more.
"""

from django.db import transaction
from django_scopes import scopes_disabled

from services.privacy import rehash, scrub_text

from .models import InboundMessage, Message, OptOut, Survey

ANONYMISED_BODY = "[已匿名化]"


def anonymise_case_messages(case_id: int) -> dict[str, int]:
    """Blanks the number of every SMS, survey and reply of the case; returns rows changed."""
    with scopes_disabled(), transaction.atomic():
        messages = Message.objects.filter(case_id=case_id).exclude(to="", body=ANONYMISED_BODY)
        # The parameters repeat the body's text (a result may name someone): they go with it.
        changed_messages = messages.update(to="", body=ANONYMISED_BODY, params={})
        surveys = Survey.objects.filter(case_id=case_id)
        replies = InboundMessage.objects.filter(survey__in=surveys).exclude(sender="")
        changed_replies = 0
        for reply in replies:
            reply.sender, reply.body = "", scrub_text(reply.body)
            reply.save(update_fields=["sender", "body"])
            changed_replies += 1
        changed_surveys = 0
        for survey in surveys.exclude(phone=""):
            survey.phone, survey.comment = "", scrub_text(survey.comment)
            survey.save(update_fields=["phone", "comment"])  # the hash follows: ""
            changed_surveys += 1
    return {"messages": changed_messages, "surveys": changed_surveys, "replies": changed_replies}


def rehash_phones() -> int:
    """After a PHONE_HASH_KEY change: recomputes the surveys' and opt-outs' hashes."""
    with scopes_disabled():
        return sum(
            rehash(model.objects.exclude(phone=""), "phone", "phone_hash")
            for model in (Survey, OptOut)
        )
