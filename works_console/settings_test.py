"""Test settings: real PostgreSQL and Redis (SPEC 10), taken from the environment or the local servers."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/works_console")
# `make test` runs the suite in several processes (pytest-xdist): each has its own test database (pytest-django
# adds the worker's name) and its own pair of Redis databases, so no process clears the other's counters or queue.
# The workers inherit the environment of the controlling process, which read this file first: a value equal to the
# controller's default is taken as a default, not as a choice.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
for _name, _url, _db in (
    ("CELERY_BROKER_URL", "redis://127.0.0.1:6379/", 14),
    ("CACHE_URL", "rediscache://127.0.0.1:6379/", 13),
):
    if os.environ.get(_name, f"{_url}{_db}") == f"{_url}{_db}":
        os.environ[_name] = f"{_url}{_db - 2 * _WORKER}"
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
# The documents the suite renders go to a folder of its own, never to var/media of the checkout.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="works-console-media-"))
# /healthz's checks get more time than in production: a test machine busy with other suites answers slower. The
# tests of the timeout itself set production's 300 ms (tests/project/test_outage.py).
os.environ.setdefault("HEALTH_CHECK_TIMEOUT", "2")

from .settings import *  # noqa: E402,F403
from .settings import PASSWORD_HASHERS as _PRODUCTION_HASHERS  # noqa: E402

# Argon2 still, with the cheapest parameters: the suite hashes thousands of passwords.
PASSWORD_HASHERS = ["works_console.hashers.FastArgon2PasswordHasher", *_PRODUCTION_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# A result backend in tests only, so a test can wait for a task run by a real worker (result.get()).
CELERY_RESULT_BACKEND = os.environ["CELERY_BROKER_URL"]
# Tests serve static files from the finders (STATIC_ROOT is only filled by collectstatic for production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
