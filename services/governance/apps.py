from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "services.governance"
    label = "governance"
    verbose_name = _("治理指数")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the monthly freezing run)
