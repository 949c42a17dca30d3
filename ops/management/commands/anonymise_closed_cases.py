"""manage.py anonymise_closed_cases [--dry-run] [--tenant SLUG]: what the daily scheduled run
does (ops/retention.py), on demand."""

from django.core.management.base import BaseCommand, CommandError

from ops.retention import anonymise_closed_cases


class Command(BaseCommand):
    help = "匿名化结案超过平台保存期限的案件中的市民个人信息"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只列出将被匿名化的案件")
        parser.add_argument("--tenant", metavar="SLUG", help="只处理这个平台")

    def handle(self, *args, dry_run: bool, tenant: str | None, **options) -> None:
        try:
            report = anonymise_closed_cases(tenant_slug=tenant, dry_run=dry_run)
        except LookupError as exc:
            raise CommandError(f"没有代码为 {exc} 的平台") from exc
        verb = "将匿名化" if dry_run else "已匿名化"
        for number in report.cases:
            self.stdout.write(f"{verb} {number}")
        counts = ", ".join(f"{k}={v}" for k, v in report.as_dict().items())
        self.stdout.write(f"{verb}: {counts}")
