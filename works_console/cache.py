"""The shared cache is an optimisation, never a dependency (issue 11): what its outage raises.

Code that counts in the cache (the availability check's rate limit) catches CACHE_ERRORS and degrades to a
safe answer with a logged warning; `/healthz` reports the cache (works_console/health.py).
"""

from redis.exceptions import RedisError

# Django's Redis backend lets redis-py's errors through (ConnectionError, TimeoutError are RedisErrors); the
# file-based cache of `make run` raises OSError.
CACHE_ERRORS = (RedisError, OSError)
