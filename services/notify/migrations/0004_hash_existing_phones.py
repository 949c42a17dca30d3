"""Existing surveys and opt-outs get the keyed hash of their number, which lookups now compare."""

from django.db import migrations

from services.privacy import rehash


def hash_phones(apps, schema_editor) -> None:
    for name in ("Survey", "OptOut"):
        model = apps.get_model("notify", name)
        rehash(model.objects.exclude(phone=""), "phone", "phone_hash")


class Migration(migrations.Migration):
    dependencies = [("notify", "0003_phone_hashes")]

    operations = [migrations.RunPython(hash_phones, migrations.RunPython.noop, elidable=True)]
