from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiKeysConfig(AppConfig):
    name = "services.apikeys"
    label = "apikeys"
    verbose_name = _("接口密钥")

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI description of keys)
