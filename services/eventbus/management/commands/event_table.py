from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from services.eventbus.catalogue import event_table, with_table


class Command(BaseCommand):
    help = "Prints the README's event table, made from the event declarations (事件目录)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--write", action="store_true", help="replace the table in README.md instead"
        )

    def handle(self, *args, write: bool = False, **options) -> None:
        if not write:
            self.stdout.write(event_table())
            return
        readme = Path(settings.BASE_DIR) / "README.md"
        readme.write_text(with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"Updated the event table in {readme}")
