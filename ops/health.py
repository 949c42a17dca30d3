"""Readiness checks: can this process serve a request right now?

Readiness is only what the pod cannot serve without: the database and this code's migrations.
Redis is not among them: without it the site still serves (rate limits fail open, the
dashboard polls), so a Redis outage marks every pod "degraded" in /readyz and in the
gongzhima_dependency_up metric instead of taking all of them out of the Service at once.

Each check answers in a couple of seconds at most, so a probe with a short timeout gets a
verdict instead of hanging; the failure detail goes to the log (operators), not to the caller.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str  # "ok", "not configured", or what failed (an exception class, never a secret)
    required: bool = True  # False: the pod serves without it, degraded


def check_database(connection=None) -> CheckResult:
    connection = connection or connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning(
            "Readiness: database %s (%s) unavailable: %s",
            connection.alias,
            connection.vendor,
            exc,
            exc_info=True,
        )
        return CheckResult("database", False, f"unavailable ({type(exc).__name__})")
    return CheckResult("database", True, "ok")


# Databases found fully migrated: for this process's code they stay so, and reading the
# migration graph on every probe would cost a few hundred milliseconds each time.
_migrated: set[tuple[str, str]] = set()


def check_migrations(connection=None) -> CheckResult:
    """Not ready while the code has migrations the database lacks: during a rollout the new
    pods wait for the migration Job instead of serving against the old schema."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    key = (connection.alias, str(connection.settings_dict["NAME"]))
    if key in _migrated:
        return CheckResult("migrations", True, "ok")
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        logger.warning("Readiness: cannot read the migration state: %s", exc, exc_info=True)
        return CheckResult("migrations", False, f"unknown ({type(exc).__name__})")
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:5])
        logger.warning(
            "Readiness: %d migration(s) not applied yet (%s); run the migration Job",
            len(pending),
            names,
        )
        return CheckResult("migrations", False, f"{len(pending)} pending")
    _migrated.add(key)
    return CheckResult("migrations", True, "ok")


def check_redis(url: str | None = None) -> CheckResult:
    url = settings.REDIS_URL if url is None else url
    if not url:
        return CheckResult("redis", True, "not configured", required=False)
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except Exception as exc:
        # The URL may hold a password: log where it points, not the URL itself.
        kwargs = client.connection_pool.connection_kwargs
        logger.warning(
            "Readiness: Redis at %s:%s db %s unavailable: %s",
            kwargs.get("host"),
            kwargs.get("port"),
            kwargs.get("db"),
            exc,
        )
        return CheckResult("redis", False, f"unavailable ({type(exc).__name__})", required=False)
    finally:
        client.close()
    return CheckResult("redis", True, "ok", required=False)


def readiness() -> list[CheckResult]:
    database = check_database()
    migrations = (
        check_migrations()
        if database.ok
        else CheckResult("migrations", False, "unknown (no database)")
    )
    return [database, migrations, check_redis()]


def verdict(checks: list[CheckResult]) -> str:
    """ "ready", "degraded" (serving without an optional dependency) or "unavailable"."""
    if not all(check.ok for check in checks if check.required):
        return "unavailable"
    return "ready" if all(check.ok for check in checks) else "degraded"


def dependencies() -> list[CheckResult]:
    """The services this pod talks to, for the metrics (Redis only when configured)."""
    found = [check_database()]
    if settings.REDIS_URL:
        found.append(check_redis())
    return found
