from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "services.routing"
    label = "routing"
    verbose_name = _("分拨")

    def ready(self) -> None:
        from . import config, handlers  # noqa: F401  (handlers registers event subscribers)

        config.connect()
