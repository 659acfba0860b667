"""NAVER WORKS Admin's failed-login limits (SPEC 7.1, issue 11), counted in the database."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from subscriptions.models import Subscription
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD, WorkspaceFactory
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


# --- one account ID however it is spelled (issue 21) -----------------------------------------------------------

# Spellings of `admin@bravo-co` that reach the account: each must count, lock and log in as the account itself.
SPELLINGS = [
    pytest.param("admin@ｂｒavo-co", id="full-width"),
    pytest.param("admin@bravo-co.", id="trailing-dot"),
    pytest.param("admin@bravo-co。", id="trailing-ideographic-dot"),
    pytest.param("admin@bravo\u200b-co", id="zero-width-space"),
    pytest.param("ad\u200dmin@bravo-co", id="zero-width-joiner"),
    pytest.param("ADMIN@Bravo-Co", id="upper-case"),
]


@pytest.fixture
def bravo() -> Subscription:
    return TrialSubscriptionFactory(workspace=WorkspaceFactory(name="bravo-co"), applied_on=date(2026, 12, 1))


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_another_spelling_of_the_account_id_logs_in_to_the_same_account(bravo, spelling):
    client = Client()

    response = _login(client, spelling, ADMIN_PASSWORD, "10.0.2.1")

    assert (response.status_code, response["Location"]) == (302, "/works/")
    assert client.session[SESSION_MEMBER_KEY] == bravo.workspace.members.get(is_admin=True).pk


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_lock_holds_under_every_spelling_of_the_account_id(bravo, spelling):
    client = Client()
    for _ in range(5):
        _login(client, "admin@bravo-co", "wrong1pass", "10.0.2.1")

    refused = _login(client, spelling, ADMIN_PASSWORD, "10.0.2.1")

    assert refused.status_code == 429
    assert SESSION_MEMBER_KEY not in client.session


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_failures_under_a_spelling_lock_the_account_itself(bravo, spelling):
    client = Client()
    for _ in range(5):
        _login(client, spelling, "wrong1pass", "10.0.2.1")

    refused = _login(client, "admin@bravo-co", ADMIN_PASSWORD, "10.0.2.1")

    assert refused.status_code == 429
    assert list(AdminLoginFailure.objects.values_list("account_id", flat=True).distinct()) == ["admin@bravo-co"]


def test_failures_from_thirty_addresses_over_six_spellings_reach_the_per_account_limit(bravo):
    spellings = [param.values[0] for param in SPELLINGS]

    statuses = [
        _login(Client(), spellings[attempt % len(spellings)], "wrong1pass", f"10.0.3.{attempt}").status_code
        for attempt in range(30)
    ]

    # Each address fails once: all 30 guesses are taken (a clean address keeps its one guess past the limit) and
    # all count against the one account, so it is past its limit of 20 for every address that has tried it.
    assert statuses == [200] * 30
    assert AdminLoginFailure.objects.filter(account_id="admin@bravo-co").count() == 30
    assert _login(Client(), "admin@ｂｒavo-co", ADMIN_PASSWORD, "10.0.3.7").status_code == 429
    assert _login(Client(), "admin@bravo-co", ADMIN_PASSWORD, "192.0.2.7").status_code == 302


def test_a_nul_in_the_account_id_is_refused_at_the_field_and_counts_nothing(bravo):
    response = _login(Client(), "admin@bravo\x00-co", "wrong1pass", "10.0.2.1")

    assert response.status_code == 200
    assert response.context["form"].errors["account_id"] == ["Null characters are not allowed."]
    assert AdminLoginFailure.objects.count() == 0
