"""How the OpenAPI schema describes API-key authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "services.apikeys.drf.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant's API key (接口密钥), `Authorization: Bearer gzm_…`; "
            "the header `X-Api-Key: gzm_…` is accepted too. Issued in the admin.",
        }
