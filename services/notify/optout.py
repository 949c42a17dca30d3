"""退订 (opt-out) per tenant and number: non-essential SMS stop, essential ones still go."""

import logging

from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from services.privacy import mask_phone, phone_hash

from .models import OptOut

logger = logging.getLogger(__name__)


def is_opted_out(tenant_id: int, phone: str) -> bool:
    with scopes_disabled():
        return OptOut.objects.filter(tenant_id=tenant_id, phone_hash=phone_hash(phone)).exists()


def opt_out(tenant_id: int, phone: str, source: str = "") -> bool:
    """Records the opt-out; False when the number had already opted out."""
    try:
        with scopes_disabled(), transaction.atomic():
            OptOut.objects.create(tenant_id=tenant_id, phone=phone, source=source)
    except IntegrityError:
        return False
    logger.info("Number %s opted out of tenant %s's SMS", mask_phone(phone), tenant_id)
    return True


def opt_in(tenant_id: int, phone: str) -> bool:
    """订阅 again; False when the number had not opted out."""
    with scopes_disabled():
        removed, _ = OptOut.objects.filter(
            tenant_id=tenant_id, phone_hash=phone_hash(phone)
        ).delete()
    if removed:
        logger.info("Number %s opted back in to tenant %s's SMS", mask_phone(phone), tenant_id)
    return bool(removed)
