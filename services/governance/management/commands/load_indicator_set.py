"""Loads a tenant's indicator set (指标体系) from JSON, or prints it (--export)."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from services.directory import api as directory
from services.governance import api as governance


class Command(BaseCommand):
    help = (
        "Loads a tenant's governance indicator set from a JSON file (default: the demo's set); "
        "--export prints the current one in the same format."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("tenant", help="the tenant's code (slug)")
        parser.add_argument("file", nargs="?", help="JSON file; omitted: the default set")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete indicators absent from the file (with their entered values)",
        )
        parser.add_argument("--export", action="store_true", help="print the current set")

    def handle(self, *args, tenant: str, file: str | None, prune: bool, export: bool, **options):
        found = directory.tenant_by_slug(tenant)
        if found is None:
            raise CommandError(f"No tenant {tenant!r}.")
        if export:
            data = governance.export_indicator_set(found.id)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        try:
            data = (
                json.loads(Path(file).read_text(encoding="utf-8"))
                if file
                else governance.default_indicator_set()
            )
            count = governance.load_indicator_set(found.id, data, prune=prune)
        except (OSError, ValueError, KeyError, ValidationError) as exc:
            raise CommandError(f"Indicator set not loaded: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"{count} indicators loaded for {found.name}."))
