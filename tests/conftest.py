import pytest
from django.core.cache import cache
from django.test import Client

from tests.accounts.factories import UserFactory

USER_PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and login throttles live in the Redis cache: no test may inherit another's counters.
    cache.clear()
    yield


@pytest.fixture
def customer(db):
    return UserFactory(password=USER_PASSWORD)


@pytest.fixture
def customer_client(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client
