"""Existing cases get the keyed hash of their reporter's number, which lookups now compare."""

from django.db import migrations

from services.privacy import rehash


def hash_phones(apps, schema_editor) -> None:
    Case = apps.get_model("intake", "Case")
    rehash(Case.objects.exclude(reporter_phone=""), "reporter_phone", "reporter_phone_hash")


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_case_reporter_phone_hash")]

    operations = [migrations.RunPython(hash_phones, migrations.RunPython.noop, elidable=True)]
