"""One process of a kind across every pod: a PostgreSQL session advisory lock, held for life.

The scheduler takes it before it enqueues anything. During a rollout, or when a node hangs and
Kubernetes starts a replacement, the second scheduler waits for the lock instead of enqueuing
every periodic job a second time. The lock lives on a connection of its own, outside Django's
pool (a pooled connection goes back to the pool, and the lock with it) and never through
PgBouncer (transaction pooling hands the session to other clients): it ends exactly when that
connection ends, so a SIGKILLed or partitioned holder frees it once PostgreSQL notices.
"""

import hashlib
import logging

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from a readable name."""
    digest = hashlib.blake2b(f"gongzhima:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    def __init__(self, name: str, alias: str = DEFAULT_DB_ALIAS) -> None:
        self.name = name
        self.key = lock_key(name)
        self.alias = alias
        self._connection: psycopg.Connection | None = None

    @property
    def supported(self) -> bool:
        """SQLite (the embedded default) runs one machine with one scheduler: nothing to lock."""
        return connections[self.alias].vendor == "postgresql"

    def try_acquire(self) -> bool:
        """True when this process holds the lock now (it keeps it until release or death)."""
        if self._connection is None:
            params = connections[self.alias].get_connection_params()
            self._connection = psycopg.connect(**params, autocommit=True)
        row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
        return bool(row and row[0])

    def still_held(self) -> bool:
        """Whether the session holding the lock is still there (the lock goes with it)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute("SELECT 1")  # only release() unlocks: alive means held
        except psycopg.Error:
            logger.warning("Lost the connection holding the %s lock", self.name, exc_info=True)
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # the session ends, and the lock with it
            self._connection = None
