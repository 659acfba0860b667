import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.accounts.factories import UserFactory
from tests.celery_queue import empty_queue  # noqa: F401 (a fixture for every test)
from tests.smtp import smtp_inbox  # noqa: F401 (a fixture for every test)
from works_console import health

USER_PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _isolate_cache_and_language():
    # Rate limits and login throttles live in the Redis cache: no test may inherit another's counters.
    cache.clear()
    # A request in another language leaves that language active in the thread; tests start in English.
    translation.activate("en")
    # /healthz keeps its answer a few seconds in process memory: each test asks afresh.
    health.forget()
    yield
    translation.deactivate()


@pytest.fixture
def customer(db):
    return UserFactory(password=USER_PASSWORD)


@pytest.fixture
def customer_client(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client
