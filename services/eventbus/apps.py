from django.apps import AppConfig


class EventbusConfig(AppConfig):
    name = "services.eventbus"
    label = "eventbus"
    verbose_name = "事件与任务"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the subscription check)
