"""Copies citizens' photos and result attachments from the local directory into the private
storage now configured (an S3-compatible bucket):

PRIVATE_STORAGE_BUCKET=… manage.py move_case_files [--from private_media/] [--remove-local]
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

from ...storage_move import move_case_files


class Command(BaseCommand):
    help = "Moves case photos and result files from the local disk to the object-storage bucket."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            default=str(settings.PRIVATE_MEDIA_ROOT),
            help="the directory the files are in now (default: PRIVATE_MEDIA_ROOT)",
        )
        parser.add_argument(
            "--remove-local",
            action="store_true",
            help="delete each local file once its copy in the bucket is checked",
        )

    def handle(self, *args, **options) -> None:
        source = FileSystemStorage(location=options["source"], base_url=None)
        if isinstance(storages["private"], FileSystemStorage):
            raise CommandError(
                "The private storage is still this directory: set PRIVATE_STORAGE_BUCKET first."
            )
        report = move_case_files(
            source, remove_source=options["remove_local"], say=self.stderr.write
        )
        self.stdout.write(
            f"copied {report.copied}, already in the bucket {report.already_there}, "
            f"missing {report.missing}, removed locally {report.removed}"
        )
