"""Public interface of the API keys (接口密钥): other services authenticate partner systems
with it and nothing else of this package."""

from .drf import ApiKeyAuthentication, HasScope
from .keys import KeyIdentity, create_key, revoke
from .keys import authenticate_key as _authenticate_key
from .scopes import ALL_SCOPES, CASES_READ, CASES_SUBMIT, CASES_TRANSITION, Scope

__all__ = [
    "ALL_SCOPES",
    "CASES_READ",
    "CASES_SUBMIT",
    "CASES_TRANSITION",
    "ApiKeyAuthentication",
    "HasScope",
    "KeyIdentity",
    "Scope",
    "authenticate",
    "create_key",
    "revoke",
]


def authenticate(raw_key: str) -> KeyIdentity | None:
    """The identity behind a raw key, or None for an unknown, wrong or revoked key (or one
    whose staff member left the tenant). Records the key's last use (at most once a minute)."""
    found = _authenticate_key(raw_key)
    return found[0] if found else None
