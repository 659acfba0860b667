"""`make test` runs the suite in several processes: each must have Redis databases of its own, or one process's
`cache.clear()` (every test's first step) wipes the rate-limit counters another is counting (seen: a reset limit
that never answered 429)."""

import os

from django.conf import settings


def test_each_process_of_the_suite_has_its_own_cache_and_broker_databases():
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))

    cache_db = settings.CACHES["default"]["LOCATION"].rsplit("/", 1)[1]
    broker_db = settings.CELERY_BROKER_URL.rsplit("/", 1)[1]

    assert (int(cache_db), int(broker_db)) == (13 - 2 * worker, 14 - 2 * worker)
    assert os.environ["CELERY_BROKER_URL"] == settings.CELERY_BROKER_URL  # what the suite's subprocesses are given
