from django.apps import AppConfig


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = "页面"

    def ready(self) -> None:
        from . import dashboard_live  # noqa: F401  (subscribes the dashboard's live pushes)
