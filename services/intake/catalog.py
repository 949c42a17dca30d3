"""The entry points as a submission needs them (入口 → 场景 → 字段), served from the cache.

Every phone page and every submission starts from an entry point's token; reading the entry
point, its scenario, its tenant, its region and the scenario's declared fields from the database
each time cost four queries per request. They change only when an administrator edits them, so
they live in Django's cache (Redis with REDIS_URL, else each process's memory), under keys
scoped by tenant and by a per-tenant generation that every save or delete of a scenario, a
field or an entry point advances: the next request reads the edit.

Without Redis each worker process keeps its own copy, and an edit made through one process is
seen by the others after at most LOCAL_SECONDS.
"""

import logging
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django_scopes import scopes_disabled

from .models import EntryPoint, Scenario, ScenarioField

# With a shared cache (Redis) invalidation is exact and entries stay long; each process's own
# memory cannot hear another process's invalidation, so there they expire quickly.
SHARED_SECONDS = 3600
LOCAL_SECONDS = 5
_MISSING = "missing"

logger = logging.getLogger(__name__)


def _cached(operation: str, *args: Any) -> Any:
    """A cache call that fails open: with the cache (Redis) down, citizens still submit, each
    request reading the database as before the cache."""
    try:
        return getattr(cache, operation)(*args)
    except Exception:  # whatever the backend raises (redis.ConnectionError, timeouts …)
        logger.warning(
            "Entry-point cache %s failed; reading the database", operation, exc_info=True
        )
        return None


def _seconds() -> int:
    return SHARED_SECONDS if settings.REDIS_URL else LOCAL_SECONDS


def _tenant_key(token: str) -> str:
    return f"intake:entry-tenant:{token}"


def _generation_key(tenant_id: int) -> str:
    return f"intake:t{tenant_id}:catalog-generation"


def _entry_key(tenant_id: int, generation: int, token: str) -> str:
    return f"intake:t{tenant_id}:g{generation}:entry:{token}"


def _load(token: str) -> EntryPoint | None:
    with scopes_disabled():
        return (
            EntryPoint.objects.select_related("tenant", "scenario__tenant", "region")
            .prefetch_related("scenario__fields")
            .filter(token=token)
            .first()
        )


# This process's copies, keyed by the shared key (tenant, generation, token): an edit
# advances the generation, so a copy is used only while the shared cache would serve the same.
# A request looks its entry point up several times (rate limit, page, submission): one cache
# round trip each, not three, and nothing to unpickle.
_local: OrderedDict[str, EntryPoint | None] = OrderedDict()
_LOCAL_ENTRIES = 1024
_local_lock = threading.Lock()  # sync views run on several threads of one process
# A code never moves to another tenant: token → tenant needs no invalidation.
_tenants: dict[str, int] = {}


def entry_point(token: str) -> EntryPoint | None:
    """The entry point behind `token` with its tenant, region, scenario and the scenario's
    fields loaded (active or not: callers decide), or None. Treat it as read-only."""
    tenant_id = _tenants.get(token) or _cached("get", _tenant_key(token))
    if tenant_id is None:
        found = _load(token)
        if found is None:
            return None
        _cached("set", _tenant_key(token), found.tenant_id, SHARED_SECONDS)
        _remember_tenant(token, found.tenant_id)
        _store(found)
        return found
    _remember_tenant(token, tenant_id)
    generation = _cached("get", _generation_key(tenant_id)) or 0
    key = _entry_key(tenant_id, generation, token)
    with _local_lock:
        if key in _local:
            _local.move_to_end(key)
            return _local[key]
    cached = _cached("get", key)
    if cached is None:
        cached = _load(token)
        _cached("set", key, cached if cached is not None else _MISSING, _seconds())
    found = None if cached == _MISSING else cached
    if settings.REDIS_URL:  # without a shared generation, each process's cache is its own
        _keep_local(key, found)
    return found


def _remember_tenant(token: str, tenant_id: int) -> None:
    if len(_tenants) >= _LOCAL_ENTRIES * 8:
        _tenants.clear()
    _tenants[token] = tenant_id


def _keep_local(key: str, found: EntryPoint | None) -> None:
    with _local_lock:
        _local[key] = found
        while len(_local) > _LOCAL_ENTRIES:
            _local.popitem(last=False)


def _store(found: EntryPoint) -> None:
    generation = _cached("get", _generation_key(found.tenant_id)) or 0
    _cached("set", _entry_key(found.tenant_id, generation, found.token), found, _seconds())


def forget_tenant(tenant_id: int) -> None:
    """Every cached entry point of the tenant is stale from now on."""
    key = _generation_key(tenant_id)
    _cached("add", key, 0, None)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr (local memory under pressure)
        _cached("set", key, 1, None)
    except Exception:  # the cache is down: nothing can be read from it either
        logger.warning("Entry-point cache not invalidated for tenant %s", tenant_id, exc_info=True)


def _changed(sender, instance, **kwargs) -> None:
    tenant_id = (
        instance.scenario.tenant_id if isinstance(instance, ScenarioField) else instance.tenant_id
    )
    forget_tenant(tenant_id)


def connect() -> None:
    """Admin saves (and any other save or delete) of what the cache holds invalidate it."""
    for model in (Scenario, ScenarioField, EntryPoint):
        post_save.connect(_changed, sender=model, dispatch_uid=f"intake-catalog-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"intake-catalog-del-{model.__name__}"
        )
