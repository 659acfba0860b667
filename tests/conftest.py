import pytest
from django.core.cache import cache
from django.test import Client
from django.test.client import ClientMixin
from django.utils import translation

from tests.accounts.factories import UserFactory
from tests.celery_queue import empty_queue  # noqa: F401 (a fixture for every test)
from tests.smtp import smtp_inbox  # noqa: F401 (a fixture for every test)
from works_console import health

USER_PASSWORD = "correct-horse-battery-9"

_django_login = ClientMixin._login


def _login_with_second_factor(self, user, backend=None) -> None:
    """A test client's staff login has its second factor too (SPEC 13: in every environment, tests included):
    the user's authenticator is enrolled and the session verified, as the sign-in pages would leave it."""
    _django_login(self, user, backend)
    if user.is_staff:
        from tests.operators import verify_session

        verify_session(self, user)


# Every test client, also those that other tests make themselves (`Client().force_login(staff)`).
ClientMixin._login = _login_with_second_factor


@pytest.fixture
def admin_client(admin_user) -> Client:
    """pytest-django's `admin_client`, signed in with both factors (the patched login above)."""
    client = Client()
    client.force_login(admin_user)
    return client


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


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    # Kept documents (billing PDFs) are named by their number, and every test numbers from 1 again.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customer(db):
    return UserFactory(password=USER_PASSWORD)


@pytest.fixture
def customer_client(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client
