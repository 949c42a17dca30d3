"""Moving the case files already on disk into the configured private storage (the bucket).

Used once when a county switches PRIVATE_STORAGE_BUCKET on: every citizen photo and result
attachment is copied under the same name, checked by size, and only then (if asked) removed
from the disk. Names in the database do not change, so the switch needs no data migration and
can be rerun safely after an interruption: what is already there is skipped.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files.storage import Storage
from django.db import models
from django_scopes import scopes_disabled

from .models import CasePhoto, ResultFile, private_storage


@dataclass
class MoveReport:
    copied: int = 0
    already_there: int = 0
    missing: int = 0
    removed: int = 0


def _stored_names() -> Iterator[str]:
    with scopes_disabled():
        for model in (CasePhoto, ResultFile):
            file_fields = [
                f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)
            ]
            for names in model.objects.values_list(*file_fields).iterator():
                yield from (name for name in names if name)


def move_case_files(
    source: Storage, *, remove_source: bool = False, say: Callable[[str], None] = print
) -> MoveReport:
    """Copies every case file from `source` (the old filesystem storage) into the private
    storage under the same name; with `remove_source`, deletes each local copy once the
    stored one has the same size."""
    target = private_storage
    report = MoveReport()
    for name in _stored_names():
        if not source.exists(name):
            if not target.exists(name):
                report.missing += 1
                say(f"missing everywhere: {name}")
            continue
        size = source.size(name)
        if target.exists(name) and target.size(name) == size:
            report.already_there += 1
        else:
            if target.exists(name):  # a copy cut short by an earlier interrupted run
                target.delete(name)
            with source.open(name, "rb") as content:
                saved_as = target.save(name, content)
            if saved_as != name or target.size(name) != size:
                raise RuntimeError(f"{name} was stored as {saved_as!r}; stopping before any loss")
            report.copied += 1
        if remove_source:
            source.delete(name)
            report.removed += 1
    return report
