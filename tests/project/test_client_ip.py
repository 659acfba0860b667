"""The client address behind proxies (SPEC 8, issue 21): one function, `client_ip`, configured by the number or the
list of trusted proxies; without them `X-Forwarded-For` is ignored. Every limit counts by it: django-axes (the
console login), django-ratelimit (password reset, sign-up) and NAVER WORKS Admin's own failure rows."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import TrialSubscriptionFactory
from works_console.client_ip import client_ip
from workspaces.models import AdminLoginFailure

PROXY = "10.0.0.5"  # the TLS proxy in front of the console: every request's peer behind it
BALANCER = "10.1.0.9"  # a load balancer in front of that proxy


def _request(peer: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": peer} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("count", "proxies", "peer", "forwarded", "client"),
    [
        pytest.param(0, [], "198.51.100.7", None, "198.51.100.7", id="direct"),
        pytest.param(0, [], "198.51.100.7", "203.0.113.66", "198.51.100.7", id="no-proxy-spoofed-header-ignored"),
        pytest.param(0, [], PROXY, "203.0.113.10", PROXY, id="no-proxy-trusted-proxy-address-is-the-client"),
        pytest.param(1, [], PROXY, "203.0.113.10", "203.0.113.10", id="one-proxy"),
        pytest.param(1, [], PROXY, "203.0.113.66, 203.0.113.10", "203.0.113.10", id="one-proxy-spoof-prepended"),
        pytest.param(1, [], PROXY, "192.168.1.20", "192.168.1.20", id="one-proxy-private-client"),
        pytest.param(1, [], PROXY, "2001:db8::1", "2001:db8::1", id="one-proxy-ipv6-client"),
        pytest.param(1, [], PROXY, None, PROXY, id="one-proxy-no-header"),
        pytest.param(1, [], PROXY, "not-an-address", PROXY, id="one-proxy-garbage-header"),
        pytest.param(2, [], PROXY, f"203.0.113.66, 203.0.113.10, {BALANCER}", "203.0.113.10", id="two-proxies"),
        pytest.param(2, [], PROXY, "203.0.113.10", PROXY, id="two-proxies-header-too-short"),
        pytest.param(0, [PROXY], PROXY, "203.0.113.66, 203.0.113.10", "203.0.113.10", id="listed-proxy"),
        pytest.param(0, ["10.0.0.0/24"], PROXY, "203.0.113.10", "203.0.113.10", id="listed-network"),
        pytest.param(0, [PROXY], "198.51.100.7", "203.0.113.10", "198.51.100.7", id="listed-proxy-bypassed"),
        pytest.param(
            0, ["10.1.0.0/16", PROXY], PROXY, f"203.0.113.10, {BALANCER}", "203.0.113.10", id="listed-two-proxies"
        ),
        pytest.param(
            0, ["10.1.0.0/16", PROXY], PROXY, "203.0.113.10, 198.51.100.1", PROXY, id="listed-two-proxies-forged"
        ),
        pytest.param(2, ["10.1.0.0/16", PROXY], PROXY, f"203.0.113.10, {BALANCER}", "203.0.113.10", id="both-agree"),
        pytest.param(0, [], "", None, "0.0.0.0", id="no-address-at-all"),  # noqa: S104
    ],
)
def test_client_ip_table(settings, count, proxies, peer, forwarded, client):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = count, proxies

    assert client_ip(_request(peer, forwarded)) == client


@pytest.mark.parametrize(
    ("count", "proxies"),
    [
        pytest.param(0, ["not-a-network"], id="garbage-proxy"),
        pytest.param(0, [""], id="empty-entry"),
        pytest.param(3, [PROXY], id="count-disagrees-with-list"),
        pytest.param(-1, [], id="negative-count"),
    ],
)
def test_a_proxy_setting_that_makes_no_sense_fails_loudly(settings, count, proxies):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = count, proxies

    with pytest.raises(ImproperlyConfigured):
        client_ip(_request(PROXY, "203.0.113.10"))


# --- every limit counts by it --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_behind_a_trusted_proxy_fifty_failed_logins_of_others_do_not_lock_a_customer_out(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    customer = UserFactory(email="minji@example.com", password="correct-horse-battery-9")
    login = reverse("accounts:login")

    for attempt in range(50):
        Client().post(
            login,
            {"username": f"guess{attempt}@example.com", "password": "wrong-password-1"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt + 1}",
        )
    response = Client().post(
        login,
        {"username": customer.email, "password": "correct-horse-battery-9"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )

    assert response.status_code == 302
    assert AccessAttempt.objects.filter(ip_address=PROXY).count() == 0
    assert AccessAttempt.objects.filter(ip_address="203.0.113.1").count() == 1


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_spoofed_header_does_not_escape_the_address_limit(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, []
    login = reverse("accounts:login")

    statuses = [
        Client()
        .post(
            login,
            {"username": f"guess{attempt}@example.com", "password": "wrong-password-1"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt + 1}",
        )
        .status_code
        for attempt in range(51)
    ]

    assert statuses[-1] == 429  # the 51st attempt of one address, whatever its header claimed
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@pytest.mark.django_db
def test_the_reset_limit_per_client_counts_each_client_behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESET_RATE_PER_CLIENT = "2/15m"
    reset = reverse("accounts:password-reset")

    def ask(email: str, client_address: str) -> int:
        return (
            Client().post(reset, {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address).status_code
        )

    first_client = [ask(f"a{index}@example.com", "203.0.113.1") for index in range(3)]
    other_client = ask("b@example.com", "203.0.113.2")

    assert first_client == [302, 302, 429]
    assert other_client == 302


@pytest.mark.django_db
def test_naver_works_admin_failures_are_counted_by_the_client_behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    trial = TrialSubscriptionFactory()

    Client().post(
        reverse("workspaces:login"),
        {"account_id": trial.admin_account_id, "password": "wrong1pass"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.66, 203.0.113.10",
    )

    assert list(AdminLoginFailure.objects.values_list("ip_address", flat=True)) == ["203.0.113.10"]
