"""Prints many entry points' posters into one PDF, e.g. all campus codes of a township:

manage.py print_posters --tenant wenling-demo --scenario campus --region 新河镇 -o campus.pdf
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled
from tqdm import tqdm

from services.directory import api as directory

from ...entry_points import select_entry_points, write_posters

LOCAL_HOSTS = {"localhost", "0.0.0.0", "::1", ""}  # noqa: S104  (names compared, not bound)


class Command(BaseCommand):
    help = "Writes one print-ready A4 PDF with a poster per entry point (二维码海报批量打印)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="the tenant's code (slug)")
        parser.add_argument("--scenario", help="only this scenario's codes (its code, e.g. campus)")
        parser.add_argument(
            "--region", help="only codes in this region and below (its name or id, e.g. 新河镇)"
        )
        parser.add_argument(
            "--include-inactive", action="store_true", help="also print deactivated codes"
        )
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write")

    def handle(self, *args, **options) -> None:
        self._warn_if_local(settings.PUBLIC_BASE_URL)
        with scopes_disabled():
            tenant = directory.tenant_by_slug(options["tenant"])
        if tenant is None:
            raise CommandError(f"No tenant with code {options['tenant']!r}")
        region_id = self._region_id(tenant.id, options["region"]) if options["region"] else None
        entry_points = list(
            select_entry_points(
                tenant.id,
                scenario_code=options["scenario"],
                region_id=region_id,
                include_inactive=options["include_inactive"],
            )
        )
        if not entry_points:
            raise CommandError(
                f"No entry point of tenant {tenant.slug!r} matches "
                f"scenario={options['scenario']!r} region={options['region']!r}"
            )
        output = Path(options["output"])
        partial = output.with_suffix(output.suffix + ".part")
        with (
            tqdm(total=len(entry_points), unit="张", desc="海报", file=self.stderr._out) as bar,
            partial.open("wb") as out,
        ):
            pages = write_posters(entry_points, out, progress=lambda: bar.update(1))
        partial.replace(output)  # never leave a half-written PDF under the real name
        self.stdout.write(self.style.SUCCESS(f"已生成 {pages} 张海报：{output}"))

    def _warn_if_local(self, base_url: str) -> None:
        """A poster outlives the laptop it was printed from: a code pointing at this machine
        opens nowhere on a citizen's phone."""
        host = urlsplit(base_url).hostname or ""
        if host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
            self.stderr.write(
                self.style.WARNING(
                    f"注意：PUBLIC_BASE_URL 是 {base_url}，海报上的二维码只能在本机打开。"
                    "正式印刷前请把 PUBLIC_BASE_URL 设为市民手机能访问的网址。"
                )
            )

    def _region_id(self, tenant_id: int, wanted: str) -> int:
        choices = directory.region_choices(tenant_id)
        if wanted.isdigit() and any(pk == int(wanted) for pk, _ in choices):
            return int(wanted)
        matches = [pk for pk, path in choices if path.split(" / ")[-1] == wanted]
        if len(matches) != 1:
            raise CommandError(
                f"Region {wanted!r} matches {len(matches)} regions of tenant {tenant_id}; "
                "give its id instead"
            )
        return matches[0]
