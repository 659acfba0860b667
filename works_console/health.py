"""What `/healthz` reports (SPEC 10, issue 21): the database, the cache and the broker, each asked with a short
timeout, the answer kept a few seconds in this process's memory, so that an outage never holds the web workers.

Each check runs in a thread of its own, all three at once, and the answer waits for each at most
`HEALTH_CHECK_TIMEOUT` (300 ms): a dependency that has not answered by then is down. The checks bound themselves
too (a statement timeout, socket timeouts, no retries), so a check given up on still ends soon after. Load
balancers ask every few seconds, from many places: the answer is kept `HEALTH_ANSWER_SECONDS` (5 s) in process
memory (not in the cache, whose outage it reports), and the callers that arrive during a check wait for that check
instead of starting their own.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.module_loading import import_string
from kombu import Connection
from kombu.exceptions import KombuError
from kombu.transport import redis as _redis_transport  # noqa: F401 (imported now, not within a check's time)

from .cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

# libpq waits at least 2 seconds for a connection (connect_timeout is in whole seconds, 2 at the least).
DATABASE_CONNECT_TIMEOUT = 2

_lock = threading.Lock()
_answer: tuple[float, dict[str, bool]] | None = None  # (when it was found, monotonic clock; the checks)


def database_ok() -> bool:
    """`SELECT 1` on a connection of its own (the request's may be in any state), under a statement timeout."""
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    if connection.vendor == "postgresql":
        options = connection.settings_dict.get("OPTIONS", {})
        connection.settings_dict = connection.settings_dict | {
            "OPTIONS": options | {"connect_timeout": DATABASE_CONNECT_TIMEOUT}
        }
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET statement_timeout = %s", [round(settings.HEALTH_CHECK_TIMEOUT * 1000)])
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False
    finally:
        connection.close()


@cache
def _probe_cache(backend: str, location: str, options: tuple, timeout: float) -> BaseCache:
    """A cache client of the health check's own, kept for the process: Django's are per thread and wait longer."""
    options = dict(options)
    if backend.endswith("RedisCache"):
        options |= {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return import_string(backend)(location, {"OPTIONS": options})


def cache_ok() -> bool:
    """A value stored and read back through the health check's own cache client, with socket timeouts."""
    config = settings.CACHES["default"]
    probe = _probe_cache(
        config["BACKEND"],
        config.get("LOCATION", ""),
        tuple(config.get("OPTIONS", {}).items()),
        settings.HEALTH_CHECK_TIMEOUT,
    )
    key, value = "healthz:probe", secrets.token_hex(8)
    try:
        probe.set(key, value, timeout=10)
        return probe.get(key) == value
    except CACHE_ERRORS:
        return False


def broker_ok() -> bool:
    """One connection attempt to the broker (kombu's connect timeout, no retries, a socket timeout for a broker
    that accepts the connection and then says nothing)."""
    timeout = settings.HEALTH_CHECK_TIMEOUT
    transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS | {"socket_timeout": timeout}
    broker = Connection(settings.CELERY_BROKER_URL, transport_options=transport_options, connect_timeout=timeout)
    try:
        broker.ensure_connection(max_retries=0)
        return True
    except (KombuError, OSError):
        return False
    finally:
        broker.release()


CHECKS: dict[str, Callable[[], bool]] = {"database": database_ok, "cache": cache_ok, "broker": broker_ok}


def _run_checks() -> dict[str, bool]:
    """Every check at once, each in a thread; one that has not answered within HEALTH_CHECK_TIMEOUT is down."""
    results: dict[str, bool] = {}

    def run(name: str, check: Callable[[], bool]) -> None:
        results[name] = check()

    threads = {
        name: threading.Thread(target=run, args=(name, check), name=f"healthz-{name}", daemon=True)
        for name, check in CHECKS.items()
    }
    deadline = time.monotonic() + settings.HEALTH_CHECK_TIMEOUT
    for thread in threads.values():
        thread.start()
    for thread in threads.values():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return {name: results.get(name, False) for name in CHECKS}


def checks() -> dict[str, bool]:
    """Whether each dependency answers: the kept answer while it is fresh, else a new one."""
    global _answer
    with _lock:
        if _answer is None or time.monotonic() - _answer[0] >= settings.HEALTH_ANSWER_SECONDS:
            found = _run_checks()
            for name in (name for name, up in found.items() if not up):
                logger.warning("health check: %s down or silent for %.1f s", name, settings.HEALTH_CHECK_TIMEOUT)
            _answer = (time.monotonic(), found)
        return dict(_answer[1])


def forget() -> None:
    """Drop the kept answer (tests; the next call checks again)."""
    global _answer
    with _lock:
        _answer = None
