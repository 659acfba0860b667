"""The shared cache is an optimisation, never a dependency (issue 11): what its outage raises, and a probe.

Code that counts in the cache (the availability check's rate limit) catches CACHE_ERRORS and degrades to a
safe answer with a logged warning; `/healthz` reports the cache with `cache_ok()`.
"""

import logging
import secrets

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Django's Redis backend lets redis-py's errors through (ConnectionError, TimeoutError are RedisErrors); the
# file-based cache of `make run` raises OSError.
CACHE_ERRORS = (RedisError, OSError)


def cache_ok() -> bool:
    """True when the cache stores and returns a value."""
    key, value = "healthz:probe", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=10)
        return cache.get(key) == value
    except CACHE_ERRORS as error:
        logger.warning("cache unavailable: %s", error)
        return False
