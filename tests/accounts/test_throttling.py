"""Failed-login limits (issue 11): per account and address, per address, per account with clean addresses open."""

from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.throttling import LoginFailures, login_refused, minutes_until_retry
from tests.conftest import USER_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _login(client: Client, email: str, password: str, address: str):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize(
    ("failures", "refused"),
    [
        pytest.param(LoginFailures(pair=4, account=4, address=4), False, id="pair-below-limit"),
        pytest.param(LoginFailures(pair=5, account=5, address=5), True, id="pair-at-limit"),
        pytest.param(LoginFailures(pair=0, account=0, address=49), False, id="address-below-limit"),
        pytest.param(LoginFailures(pair=0, account=0, address=50), True, id="address-at-limit"),
        pytest.param(LoginFailures(pair=1, account=19, address=1), False, id="account-below-limit"),
        pytest.param(LoginFailures(pair=1, account=20, address=1), True, id="account-at-limit-address-has-failed"),
        pytest.param(LoginFailures(pair=0, account=20, address=0), False, id="account-at-limit-clean-address"),
        pytest.param(LoginFailures(pair=0, account=500, address=49), False, id="account-far-past-clean-address"),
    ],
)
def test_login_refused_table(failures, refused):
    assert login_refused(failures) is refused


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [
        pytest.param(
            LoginFailures(pair=5, account=5, address=5, pair_last_at=NOW - timedelta(minutes=5)), 10, id="pair"
        ),
        pytest.param(
            LoginFailures(
                pair=1,
                account=20,
                address=1,
                pair_last_at=NOW - timedelta(minutes=14, seconds=1),
                address_last_at=NOW - timedelta(minutes=14, seconds=1),
            ),
            1,
            id="account-rounded-up",
        ),
        pytest.param(
            LoginFailures(
                pair=1,
                account=1,
                address=50,
                pair_last_at=NOW - timedelta(minutes=12),
                address_last_at=NOW - timedelta(minutes=2),
            ),
            13,
            id="address-latest-failure",
        ),
    ],
)
def test_minutes_until_retry_count_from_the_last_refusing_failure(failures, minutes):
    assert minutes_until_retry(failures, now=NOW) == minutes


def test_one_account_tried_from_40_addresses_is_slowed_and_the_real_owner_still_logs_in(customer):
    client = Client()

    statuses = [
        _login(client, customer.email, f"wrong-{attempt}", f"10.0.0.{address}").status_code
        for address in range(1, 41)
        for attempt in range(5)
    ]

    # 4 addresses x 5 failures reach the account limit (20); then each of the 36 other addresses gets one guess.
    # The failure that reaches a limit already answers with the lockout page, hence 4 x 4 plain refusals.
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 20 + 36
    assert statuses.count(200) == 16
    assert statuses.count(429) == 200 - 16
    # An address that failed on the account is refused even with the right password...
    refused = _login(client, customer.email, USER_PASSWORD, "10.0.0.40")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    # ... the owner, from an address without failures, logs in.
    owner = _login(Client(), customer.email, USER_PASSWORD, "192.0.2.7")
    assert (owner.status_code, owner["Location"]) == (302, reverse("subscriptions:my-product"))


def test_sixty_accounts_tried_from_one_address_are_refused_past_the_address_limit(customer):
    client = Client()

    statuses = [
        _login(client, f"guess{index}@example.com", "wrong-password", "10.0.0.9").status_code for index in range(60)
    ]

    assert statuses == [200] * 49 + [429] * 11
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 50
    assert _login(client, customer.email, USER_PASSWORD, "10.0.0.9").status_code == 429
    assert "_auth_user_id" not in client.session
    other_address = _login(Client(), customer.email, USER_PASSWORD, "10.0.0.10")
    assert other_address.status_code == 302


def test_the_pair_limit_still_locks_one_address_guessing_one_account(customer):
    client = Client()
    failures = [_login(client, customer.email, "wrong", "10.0.0.1").status_code for _ in range(5)]

    response = _login(client, customer.email, USER_PASSWORD, "10.0.0.1")

    assert failures == [200] * 4 + [429]  # the fifth failure already answers with the lockout page
    assert response.status_code == 429
    assert _login(Client(), customer.email, USER_PASSWORD, "10.0.0.2").status_code == 302
