"""`manage.py db_worker`: django-tasks-db's command and options, run by our worker
(services/eventbus/worker.py: woken on commit, batch claims, heartbeat). The eventbus app is
listed before django_tasks_db in INSTALLED_APPS so this command is the one found."""

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from services.eventbus import worker


class Command(db_worker.Command):
    help = "Runs a task worker over the given queues (woken on commit on PostgreSQL)"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--claim",
            type=db_worker.valid_max_tasks,
            default=settings.TASK_CLAIM_BATCH,
            help="ready tasks claimed at once (default: TASK_CLAIM_BATCH, %(default)s)",
        )

    def handle(  # type: ignore[override]  # Django calls handle with options by keyword
        self,
        *,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        reload: bool,
        claim: int,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        task_worker = worker.Worker(
            claim_batch=claim,
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                task_worker.configure_signals()  # only in the reloaded child
            run_with_reloader(task_worker.run)
        else:
            task_worker.configure_signals()
            task_worker.run()
