"""Which provider account and sender a tenant uses (Twilio: account and number; Aliyun:
AccessKey and SignName), and the secret in its callback URLs.

Secrets never live in the database or the repository: a tenant's settings name a reference
("WENLING"), and the account SID and auth token come from the environment
(TWILIO_ACCOUNT_SID_WENLING, TWILIO_AUTH_TOKEN_WENLING), as a Kubernetes Secret provides them.
Without a reference the deployment-wide TWILIO_* settings apply.
"""

import hmac
import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django_scopes import scopes_disabled

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


@dataclass(frozen=True)
class AliyunCredentials:
    access_key_id: str
    access_key_secret: str
    sign_name: str  # the approved signature (签名) every SMS of the tenant carries

    def __repr__(self) -> str:  # never print the secret
        return f"AliyunCredentials(access_key_id={self.access_key_id!r}, sign={self.sign_name!r})"


def aliyun_credentials_for(tenant_id: int) -> AliyunCredentials:
    """The tenant's AccessKey (from the environment, as for Twilio) and SignName."""
    prefs = settings_for(tenant_id)
    ref = prefs.aliyun_credentials_ref
    sign_name = prefs.sms_sign_name or get_tenant(tenant_id).name
    if not ref:
        return AliyunCredentials(
            settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET, sign_name
        )
    key_id = os.environ.get(f"ALIYUN_ACCESS_KEY_ID_{ref}", "")
    secret = os.environ.get(f"ALIYUN_ACCESS_KEY_SECRET_{ref}", "")
    if not (key_id and secret):
        raise CredentialsMissing(
            f"ALIYUN_ACCESS_KEY_ID_{ref} / ALIYUN_ACCESS_KEY_SECRET_{ref} are not set in the "
            "environment"
        )
    return AliyunCredentials(key_id, secret, sign_name)


def callback_secret_for(tenant_id: int) -> str:
    """The secret in the tenant's callback URLs (made once, on first use)."""
    from .models import NotifySettings

    prefs = settings_for(tenant_id)
    if not prefs.callback_secret:
        # Only where still blank: two first uses at once agree on one secret.
        with scopes_disabled():
            NotifySettings.objects.filter(pk=prefs.pk, callback_secret="").update(
                callback_secret=secrets.token_urlsafe(24)
            )
            prefs.refresh_from_db(fields=["callback_secret"])
    return prefs.callback_secret


def rotate_callback_secret(tenant_id: int) -> str:
    """A new secret (the old URLs stop working at once: enter the new ones at the provider)."""
    from .models import NotifySettings

    settings_for(tenant_id)
    secret = secrets.token_urlsafe(24)
    with scopes_disabled():
        NotifySettings.objects.filter(tenant_id=tenant_id).update(callback_secret=secret)
    return secret


def callback_secret_matches(tenant_id: int, given: str) -> bool:
    """Whether `given` is the tenant's callback secret, compared in constant time."""
    from .models import NotifySettings

    with scopes_disabled():
        known = (
            NotifySettings.objects.filter(tenant_id=tenant_id)
            .values_list("callback_secret", flat=True)
            .first()
        )
    if not known:
        return False
    return hmac.compare_digest(known.encode(), given.encode())
