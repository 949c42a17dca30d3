from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "services.notify"
    label = "notify"
    verbose_name = _("短信与回访")

    def ready(self) -> None:
        from . import handlers  # noqa: F401  (registers event subscribers)
