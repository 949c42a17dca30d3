"""manage.py rehash_phones: run once right after changing PHONE_HASH_KEY (or SECRET_KEY while
PHONE_HASH_KEY is unset); until then lookups by phone find nothing (services/privacy.py)."""

from django.core.management.base import BaseCommand

from ops.retention import rehash_phones


class Command(BaseCommand):
    help = "更换号码哈希密钥后，重新计算所有已存号码的哈希"

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"已更新 {rehash_phones()} 条记录")
