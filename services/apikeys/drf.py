"""DRF glue: authentication by `Authorization: Bearer <key>` or `X-Api-Key`, and scopes."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from .keys import KeyIdentity, authenticate_key

REALM = "gongzhima-api"


class ApiKeyAuthentication(BaseAuthentication):
    """`request.user` is the staff member the key acts as (AnonymousUser for a submit-only key
    without one), `request.auth` the KeyIdentity. A request carrying no key is left to the
    next authenticator; one carrying a wrong, unknown or revoked key is a 401."""

    def authenticate(self, request):
        raw = self._raw_key(request)
        if raw is None:
            return None
        found = authenticate_key(raw)
        if found is None:
            raise AuthenticationFailed(_("API 密钥无效或已吊销。"))
        identity, user = found
        return (user or AnonymousUser(), identity)

    def _raw_key(self, request) -> str | None:
        header = get_authorization_header(request).split()
        if header and header[0].lower() == b"bearer":
            if len(header) != 2:
                raise AuthenticationFailed(_("Authorization 头应为“Bearer <密钥>”。"))
            try:
                return header[1].decode("ascii")
            except UnicodeDecodeError:
                raise AuthenticationFailed(_("API 密钥无效或已吊销。")) from None
        key = request.META.get("HTTP_X_API_KEY")
        return key if key else None

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials, as RFC 9110 asks.
        return f'Bearer realm="{REALM}"'


class HasScope(BasePermission):
    """`permission_classes = [HasScope(CASES_READ)]`: a key-authenticated request needs that
    scope; any other request needs an authenticated user (whose rights the policy judges)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.message = _("该 API 密钥没有“%(scope)s”权限。") % {"scope": scope}

    def __call__(self) -> "HasScope":
        return self  # DRF instantiates permission_classes; an instance stands for itself

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, KeyIdentity):
            return request.auth.allows(self.scope)
        return bool(request.user and request.user.is_authenticated)
