"""DRF glue: authentication by `Authorization: Bearer <key>` or `X-Api-Key`, and scopes."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from .keys import KeyIdentity, MalformedKey, authenticate_key, raw_key
from .middleware import CHECKED

REALM = "gongzhima-api"


class ApiKeyAuthentication(BaseAuthentication):
    """`request.user` is the staff member the key acts as (AnonymousUser for a submit-only key
    without one), `request.auth` the KeyIdentity. A request carrying no key is left to the
    next authenticator; one carrying a wrong, unknown or revoked key is a 401, and so is one
    carrying a key beside a logged-in session (whose is the request?)."""

    def authenticate(self, request):
        try:
            raw = raw_key(request.META)
        except MalformedKey:
            raise AuthenticationFailed(_("Authorization 头应为“Bearer <密钥>”。")) from None
        if raw is None:
            return None
        session_user = getattr(request._request, "user", None)
        if session_user is not None and session_user.is_authenticated:
            raise AuthenticationFailed(_("请只使用 API 密钥或登录会话中的一种。"))
        checked = getattr(request._request, CHECKED, None)
        # Checked by ApiKeyScopeMiddleware already (and the request runs in its tenant's scope).
        found = checked[1] if checked and checked[0] == raw else authenticate_key(raw)
        if found is None:
            raise AuthenticationFailed(_("API 密钥无效或已吊销。"))
        identity, user = found
        return (user or AnonymousUser(), identity)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials, as RFC 9110 asks.
        return f'Bearer realm="{REALM}"'


class _ScopePermission(BasePermission):
    scope = ""

    @property
    def message(self) -> str:
        # Per request, in its language.
        return gettext("该 API 密钥没有“%(scope)s”权限。") % {"scope": self.scope}

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, KeyIdentity):
            return request.auth.allows(self.scope)
        return bool(request.user and request.user.is_authenticated)


def HasScope(scope: str) -> type[BasePermission]:
    """`permission_classes = [HasScope(CASES_READ)]`: a key-authenticated request needs that
    scope; any other request needs an authenticated user (whose rights the policy judges)."""
    return type(f"HasScope[{scope}]", (_ScopePermission,), {"scope": scope})
