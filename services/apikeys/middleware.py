"""The tenant scope (django-scopes) of a request made with an API key.

DRF authenticates inside the view, after TenantScopeMiddleware has left an anonymous request
without a scope; so the key is checked here, once, and the rest of the request runs in its
tenant's scope. Only the scope: `request.user` stays anonymous for every non-API view (the
admin and the pages never accept a key), and DRF's ApiKeyAuthentication reuses the result.
"""

from django_scopes import scope

from .keys import MalformedKey, authenticate_key, raw_key

CHECKED = "_api_key_checked"


class ApiKeyScopeMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            raw = raw_key(request.META)
        except MalformedKey:
            raw = None  # DRF answers it with a 401
        # A key beside a logged-in session is refused by ApiKeyAuthentication; no key scope.
        if raw is None or request.user.is_authenticated:
            return self.get_response(request)
        found = authenticate_key(raw)
        setattr(request, CHECKED, (raw, found))
        if found is None:
            return self.get_response(request)
        with scope(tenant=found[0].tenant_id):
            return self.get_response(request)
