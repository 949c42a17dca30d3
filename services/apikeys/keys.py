"""Issuing, checking and revoking API keys (接口密钥).

A key reads `gzm_<prefix>_<secret>`: the prefix (10 characters) finds the row with one indexed
lookup and names the key in lists and logs; the secret carries 256 random bits.

At rest only HMAC-SHA256(settings.API_KEY_HASH_KEY, whole key) is stored. A slow password
hash (PBKDF2, Argon2) exists to make guessing a *low-entropy* password expensive; a 256-bit
random secret cannot be guessed, so a slow hash would only add its ~100 ms to every API
request. The HMAC's key lives in the environment, not the database: a stolen database dump
alone cannot even confirm a guess. Comparison is constant-time (hmac.compare_digest).
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from services.directory import api as directory

from .models import ApiKey
from .scopes import ALL_SCOPES, CASES_READ, CASES_TRANSITION

KEY_PATTERN = re.compile(r"gzm_(?P<prefix>[a-z0-9]{10})_(?P<secret>[A-Za-z0-9_-]{43})")
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# last_used_at is written at most this often per key: a busy partner's key is a hot row, and
# "last used" only needs to tell a forgotten key from a live one.
LAST_USED_GRANULARITY = timedelta(minutes=1)
# Scopes that act on cases as a member of staff: such a key needs one (acts_as).
STAFF_SCOPES = frozenset({CASES_READ, CASES_TRANSITION})


@dataclass(frozen=True)
class KeyIdentity:
    """Who is calling with a valid key: DRF's `request.auth` on a key-authenticated request."""

    key_id: int
    tenant_id: int
    scopes: frozenset[str]
    acts_as_user_id: int | None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class MalformedKey(ValueError):
    """An Authorization: Bearer header that is not "Bearer <one token>"."""


def raw_key(meta: dict) -> str | None:
    """The key a request carries (`Authorization: Bearer <key>`, else `X-Api-Key: <key>`), or
    None when it carries none; MalformedKey for a Bearer header that holds no single token."""
    authorization = meta.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, rest = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        token = rest.strip()
        if not token or " " in token:
            raise MalformedKey(authorization)
        return token
    return meta.get("HTTP_X_API_KEY") or None


def _hash_key() -> bytes:
    key = getattr(settings, "API_KEY_HASH_KEY", "")
    if key:
        return key.encode()
    # Derived rather than SECRET_KEY itself: the hash must not double as a Django signature.
    return hmac.new(settings.SECRET_KEY.encode(), b"gongzhima.api-key-hash", "sha256").digest()


def key_hash(raw_key: str) -> str:
    return hmac.new(_hash_key(), raw_key.encode(), hashlib.sha256).hexdigest()


def check_key_settings(tenant_id: int, scopes: list[str], acts_as_user_id: int | None) -> None:
    """ValidationError unless the scopes are known and the acting user is staff of the tenant
    (required for reading and handling cases: the policy judges them as that person)."""
    unknown = set(scopes) - ALL_SCOPES
    if unknown or not scopes:
        raise ValidationError({"scopes": _("请至少选择一项有效的权限范围。")})
    if acts_as_user_id is None:
        if STAFF_SCOPES & set(scopes):
            raise ValidationError({"acts_as": _("查询或办理案件的密钥必须指定代表的工作人员。")})
        return
    user = get_user_model().objects.filter(pk=acts_as_user_id, is_active=True).first()
    staff = directory.staff_info(user) if user is not None else None
    if staff is None or staff.tenant_id != tenant_id:
        raise ValidationError({"acts_as": _("请选择本平台的一名在岗工作人员。")})


def create_key(
    tenant_id: int,
    name: str,
    scopes: list[str],
    acts_as_user_id: int | None = None,
    *,
    created_by_id: int | None = None,
) -> tuple[ApiKey, str]:
    """新建密钥: the stored key and the raw key, which is never available again."""
    check_key_settings(tenant_id, scopes, acts_as_user_id)
    key = ApiKey(
        tenant_id=tenant_id,
        name=name,
        scopes=sorted(set(scopes)),
        acts_as_id=acts_as_user_id,
        created_by_id=created_by_id,
    )
    raw = issue(key)
    with scopes_disabled():
        key.save()
    return key, raw


def issue(key: ApiKey) -> str:
    """Draws a fresh raw key for the unsaved `key`, sets its prefix and hash, returns it."""
    for _attempt in range(5):
        prefix = get_random_string(10, PREFIX_ALPHABET)
        with scopes_disabled():
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
    else:  # 36**10 prefixes: five collisions in a row means something else is wrong
        raise IntegrityError("no free API key prefix")
    raw = f"gzm_{prefix}_{secrets.token_urlsafe(32)}"
    key.prefix, key.key_hash = prefix, key_hash(raw)
    return raw


def revoke(tenant_id: int, key_id: int) -> bool:
    """吊销: the key stops working at once; its row stays (who had access, when)."""
    with scopes_disabled():
        return bool(
            ApiKey.objects.filter(tenant_id=tenant_id, pk=key_id, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        )


def authenticate_key(raw_key: str):
    """(KeyIdentity, acting user or None) for a valid, unrevoked key whose acting user is still
    an active member of its tenant's staff; None otherwise."""
    match = KEY_PATTERN.fullmatch(raw_key.strip())
    if match is None:
        return None
    with scopes_disabled():
        key = ApiKey.objects.select_related("acts_as").filter(prefix=match["prefix"]).first()
    if key is None or not hmac.compare_digest(key.key_hash, key_hash(match.group(0))):
        return None
    if key.revoked_at is not None:
        return None
    user = key.acts_as
    if user is not None:
        staff = directory.staff_info(user) if user.is_active else None
        if staff is None or staff.tenant_id != key.tenant_id:
            return None  # the person left, or moved: the key must not outlive their rights
    _touch(key)
    identity = KeyIdentity(
        key_id=key.pk,
        tenant_id=key.tenant_id,
        scopes=frozenset(key.scopes) & ALL_SCOPES,
        acts_as_user_id=key.acts_as_id,
    )
    return identity, user


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    cutoff = now - LAST_USED_GRANULARITY
    if key.last_used_at is not None and key.last_used_at > cutoff:
        return
    # Conditional, so requests racing past the check above write the row once.
    with scopes_disabled(), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff)
        ).update(last_used_at=now)
