"""Blocks until the database has every migration this code has (the init container of each pod).

So a rollout is ordered without hooks: the migration Job migrates, the new pods wait for it, and
the old pods keep serving meanwhile. Exits 1 after --timeout, naming what is still missing.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


class Command(BaseCommand):
    help = "Waits until every migration of this code is applied to the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds, then fail")
        parser.add_argument("--interval", type=float, default=3.0, help="seconds between checks")

    def handle(self, *args, timeout: float, interval: float, **options) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while True:
            try:
                pending = pending_migrations()
                last_error = ""
            except Exception as exc:  # the database may still be starting
                pending, last_error = None, f"{type(exc).__name__}: {exc}"
            if pending == []:
                self.stdout.write("All migrations are applied.")
                return
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"Gave up after {timeout:.0f}s: "
                    + (
                        f"cannot reach the database ({last_error})"
                        if pending is None
                        else f"{len(pending)} migration(s) not applied: {', '.join(pending[:10])}"
                        " — has the migration Job run?"
                    )
                )
            self.stdout.write(
                f"Waiting: database unreachable ({last_error})"
                if pending is None
                else f"Waiting for {len(pending)} migration(s), first {pending[0]}"
            )
            connections.close_all()
            time.sleep(interval)
