from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "services.intake"
    label = "intake"
    verbose_name = _("受理")

    def ready(self) -> None:
        from . import (
            catalog,
            handlers,  # noqa: F401  (registers event subscribers)
            photos,
        )

        photos.configure_process()
        catalog.connect()
