"""Which Twilio account and sending number a tenant uses.

Secrets never live in the database or the repository: a tenant's settings name a reference
("WENLING"), and the account SID and auth token come from the environment
(TWILIO_ACCOUNT_SID_WENLING, TWILIO_AUTH_TOKEN_WENLING), as a Kubernetes Secret provides them.
Without a reference the deployment-wide TWILIO_* settings apply.
"""

import os
from dataclasses import dataclass

from django.conf import settings

from services.directory.api import get_tenant

from .preferences import settings_for


class CredentialsMissing(Exception):
    """The tenant names a credentials reference the environment does not provide."""


@dataclass(frozen=True)
class Credentials:
    account_sid: str
    auth_token: str
    sender: str  # the number SMS go out from and citizens reply to

    def __repr__(self) -> str:  # never print the token
        return f"Credentials(account_sid={self.account_sid!r}, sender={self.sender!r})"


def credentials_for(tenant_id: int) -> Credentials:
    ref = settings_for(tenant_id).twilio_credentials_ref
    sender = get_tenant(tenant_id).sms_number or settings.TWILIO_FROM_NUMBER
    if not ref:
        return Credentials(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, sender)
    sid = os.environ.get(f"TWILIO_ACCOUNT_SID_{ref}", "")
    token = os.environ.get(f"TWILIO_AUTH_TOKEN_{ref}", "")
    if not (sid and token):
        raise CredentialsMissing(
            f"TWILIO_ACCOUNT_SID_{ref} / TWILIO_AUTH_TOKEN_{ref} are not set in the environment"
        )
    return Credentials(sid, token, sender)


def auth_token_for(tenant_id: int | None) -> str:
    """The token Twilio signs this tenant's webhooks with ('' when unknown: nothing validates)."""
    if tenant_id is None:
        return settings.TWILIO_AUTH_TOKEN
    try:
        return credentials_for(tenant_id).auth_token
    except CredentialsMissing:
        return ""
