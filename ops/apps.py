from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import housekeeping, retention, tasklog  # noqa: F401  (their periodic tasks)

        tasklog.connect()
