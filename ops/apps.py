from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import housekeeping, tasklog  # noqa: F401  (housekeeping registers its periodic task)

        tasklog.connect()
