"""NAVER WORKS Admin's failed-login limits (SPEC 7.1, issue 11), counted in the database."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from subscriptions.models import Subscription
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD
from workspaces.decorators import SESSION_MEMBER_KEY
from workspaces.models import AdminLoginFailure

pytestmark = pytest.mark.django_db

LOGIN_URL = "/works/login/"


@pytest.fixture
def trial() -> Subscription:
    return TrialSubscriptionFactory(applied_on=date(2026, 12, 1))


def _login(client: Client, account_id: str, password: str, address: str):
    return client.post(LOGIN_URL, {"account_id": account_id, "password": password}, REMOTE_ADDR=address)


def test_one_account_tried_from_40_addresses_is_slowed_and_the_real_admin_still_logs_in(trial):
    account_id = trial.admin_account_id
    client = Client()

    statuses = [
        _login(client, account_id, f"wrong{attempt}pass", f"10.0.1.{address}").status_code
        for address in range(1, 41)
        for attempt in range(5)
    ]

    # 4 addresses x 5 failures reach the account limit (20); then each of the 36 other addresses gets one guess.
    assert statuses.count(200) == 20 + 36
    assert statuses.count(429) == 200 - 56
    assert AdminLoginFailure.objects.filter(account_id=account_id).count() == 56
    refused = _login(client, account_id, ADMIN_PASSWORD, "10.0.1.40")
    assert refused.status_code == 429
    assert SESSION_MEMBER_KEY not in client.session
    admin = Client()
    response = _login(admin, account_id, ADMIN_PASSWORD, "192.0.2.7")
    assert (response.status_code, response["Location"]) == (302, "/works/")
    assert SESSION_MEMBER_KEY in admin.session


def test_sixty_account_ids_tried_from_one_address_are_refused_past_the_address_limit(trial):
    client = Client()

    statuses = [
        _login(client, f"guess{index}@{trial.workspace.name}", "wrong1pass", "10.0.1.9").status_code
        for index in range(60)
    ]

    assert statuses == [200] * 50 + [429] * 10
    assert AdminLoginFailure.objects.count() == 50
    assert _login(client, trial.admin_account_id, ADMIN_PASSWORD, "10.0.1.9").status_code == 429
    assert _login(Client(), trial.admin_account_id, ADMIN_PASSWORD, "10.0.1.10").status_code == 302


def test_the_refusal_says_when_to_try_again_and_ends_with_the_window(trial):
    client = Client()
    with time_machine.travel(datetime(2026, 12, 2, 1, 0, tzinfo=UTC), tick=False) as clock:
        for _ in range(5):
            _login(client, trial.admin_account_id, "wrong1pass", "10.0.1.1")
        clock.shift(timedelta(minutes=6))
        refused = _login(client, trial.admin_account_id, ADMIN_PASSWORD, "10.0.1.1")
        clock.shift(timedelta(minutes=9, seconds=1))
        allowed = _login(client, trial.admin_account_id, ADMIN_PASSWORD, "10.0.1.1")

    assert refused.status_code == 429
    assert refused.context["form"].non_field_errors() == ["Too many failed logins. Try again in 9 minutes."]
    assert allowed.status_code == 302


def test_a_successful_login_forgets_its_own_failures_and_old_ones_are_deleted(trial):
    client = Client()
    with time_machine.travel(datetime(2026, 12, 2, 1, 0, tzinfo=UTC), tick=False) as clock:
        _login(client, "someone@else", "wrong1pass", "10.0.1.2")
        clock.shift(timedelta(minutes=16))
        for _ in range(3):
            _login(client, trial.admin_account_id, "wrong1pass", "10.0.1.1")
        _login(Client(), trial.admin_account_id, "wrong1pass", "10.0.1.3")
        _login(client, trial.admin_account_id, ADMIN_PASSWORD, "10.0.1.1")

    # The stale failure of another pair is gone; the success cleared only its own pair's three.
    assert list(AdminLoginFailure.objects.values_list("account_id", "ip_address")) == [
        (trial.admin_account_id, "10.0.1.3")
    ]
