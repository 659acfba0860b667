"""My Product's cards come from the cache (issue 17), and every change of what a card shows reaches it at once:
each writer moves the subscription's (or the workspace's) version on, so the card's key changes."""

from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from subscriptions.lifecycle import EXPIRE_TRIALS, RENEW
from subscriptions.models import RenewalOption, Subscription
from subscriptions.services.cancel import subscription_cancel, subscription_withdraw_cancellation
from subscriptions.services.core import customer_actor
from subscriptions.services.operator import operator_actor
from subscriptions.services.paid import subscription_convert, subscription_increase_licences
from subscriptions.services.renewal import subscription_set_renewal_option
from subscriptions.services.trial import subscription_extend_trial
from tests.billing.factories import ActiveSubscriptionFactory, kst
from tests.lifecycle import run_jobs
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from tests.workspaces.factories import DomainWorkspaceFactory
from tests.workspaces.test_services import FakeResolver, FakeTxt
from works_console.dates import kst_date
from workspaces.services import workspace_verify_domain

pytestmark = pytest.mark.django_db

MY_PRODUCT = reverse("subscriptions:my-product")
DEC_2 = kst(2026, 12, 2)


def my_product(client, now: datetime, **headers) -> str:
    with time_machine.travel(now, tick=False):
        response = client.get(MY_PRODUCT, **headers)
    assert response.status_code == 200
    return response.content.decode()


def signed_in(customer, now: datetime) -> Client:
    """A client whose session starts at ``now`` (one of today's real date may have expired by then)."""
    client = Client()
    with time_machine.travel(now, tick=False):
        client.force_login(customer)
    return client


def test_a_card_is_served_from_the_cache_until_its_subscription_changes(customer, customer_client):
    # given a card rendered once, then its row changed behind the services' back (no version moved on)
    trial = TrialSubscriptionFactory(customer=customer)
    my_product(customer_client, DEC_2)
    Subscription.objects.filter(pk=trial.pk).update(admin_account_id="admin@changed-behind-the-back")

    # then the page shows the cached card: the key did not change
    assert "admin@changed-behind-the-back" not in my_product(customer_client, DEC_2)
    # when the version moves on, the card is built again
    Subscription.objects.filter(pk=trial.pk).touch()
    assert "admin@changed-behind-the-back" in my_product(customer_client, DEC_2)


def test_a_state_change_through_the_one_door_shows_at_once(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer)
    assert 'data-state="trial"' in my_product(customer_client, DEC_2)

    subscription_convert(
        subscription=trial,
        plan=trial.plan,  # the same plan: only the version tells the card's key that it changed
        contract_type="monthly",
        licences=None,
        start_on=kst_date(DEC_2),
        by=customer_actor(customer),
        now=DEC_2,
    )

    html = my_product(customer_client, DEC_2)
    assert 'data-state="active"' in html
    assert "Paid service" in html


def test_the_jobs_state_changes_move_the_version_on(customer):
    trial = TrialSubscriptionFactory(customer=customer)  # last trial day 2026-12-30, grace to 2027-01-29

    run_jobs(kst(2026, 12, 31, 0, 10), [EXPIRE_TRIALS])
    suspended = Subscription.objects.get(pk=trial.pk)
    run_jobs(kst(2027, 1, 30, 0, 10), [EXPIRE_TRIALS])
    terminated = Subscription.objects.get(pk=trial.pk)

    assert (suspended.status, suspended.version) == ("suspended", 1)
    assert terminated.status == "terminated"
    assert terminated.version > suspended.version


def test_a_cancellation_carried_out_today_shows_at_once(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer)
    my_product(customer_client, DEC_2)

    subscription_cancel(subscription=trial, on=kst_date(DEC_2), by=customer_actor(customer), now=DEC_2)

    html = my_product(customer_client, DEC_2)
    assert 'data-state="terminated"' in html
    assert "Terminated on 2026-12-02" in html


def test_a_reserved_cancellation_shows_at_once_and_goes_when_withdrawn(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer)
    assert 'data-reservation="cancellation"' not in my_product(customer_client, DEC_2)

    subscription_cancel(subscription=trial, on=date(2026, 12, 20), by=customer_actor(customer), now=DEC_2)
    assert "Cancellation reserved for 2026-12-20" in my_product(customer_client, DEC_2)

    subscription_withdraw_cancellation(subscription=trial, by=customer_actor(customer), now=DEC_2)
    assert 'data-reservation="cancellation"' not in my_product(customer_client, DEC_2)


def test_a_reserved_conversion_shows_at_once(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer)
    my_product(customer_client, DEC_2)

    subscription_convert(
        subscription=trial,
        plan=plan("premium"),
        contract_type="annual",
        licences=12,
        start_on=date(2026, 12, 15),
        by=customer_actor(customer),
        now=DEC_2,
    )

    assert "Paid conversion reserved for 2026-12-15: Premium, Annual (12 licences)" in my_product(
        customer_client, DEC_2
    )


def test_an_invoice_issued_by_the_renewal_job_shows_at_once(customer):
    ActiveSubscriptionFactory(customer=customer)  # first period 2026-12-15 to 2027-01-14
    customer_client = signed_in(customer, kst(2027, 1, 15))
    assert "No invoices yet." in my_product(customer_client, kst(2027, 1, 15))

    run_jobs(kst(2027, 1, 15), [RENEW])

    html = my_product(customer_client, kst(2027, 1, 15))
    assert "No invoices yet." not in html
    assert "Issued on 2027-01-15" in html


def test_a_renewal_option_and_added_licences_show_at_once(customer, customer_client):
    active = ActiveSubscriptionFactory(customer=customer)
    now = kst(2026, 12, 20)
    assert "10 licences" in my_product(customer_client, now)

    subscription_increase_licences(subscription=active, licences=15, by=customer_actor(customer), now=now)
    assert "Annual · 15 licences" in my_product(customer_client, now)

    subscription_set_renewal_option(
        subscription=active, option=RenewalOption.DO_NOT_RENEW, licences=None, by=customer_actor(customer), now=now
    )
    assert "<dd>Do not renew" in my_product(customer_client, now)


def test_an_operators_trial_extension_shows_at_once(customer, customer_client, admin_user):
    trial = TrialSubscriptionFactory(customer=customer)
    assert "last trial day 2026-12-30" in my_product(customer_client, DEC_2)

    subscription_extend_trial(
        subscription=trial, days=7, reason="Onboarding", by=operator_actor(admin_user), now=DEC_2
    )

    assert "last trial day 2027-01-06" in my_product(customer_client, DEC_2)


def test_a_verified_domain_shows_at_once(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer, workspace=DomainWorkspaceFactory(name="acme.example"))
    assert "data-domain-unverified" in my_product(customer_client, DEC_2)

    token = trial.workspace.verification_token
    resolver = FakeResolver({"acme.example": [FakeTxt(token)]})
    workspace_verify_domain(workspace=trial.workspace, now=DEC_2, resolver=resolver)

    assert "data-domain-unverified" not in my_product(customer_client, DEC_2)


def test_the_language_of_the_page_is_the_language_of_its_cards(customer, customer_client):
    TrialSubscriptionFactory(customer=customer)
    assert "29 days left" in my_product(customer_client, DEC_2, HTTP_ACCEPT_LANGUAGE="en")

    japanese = my_product(customer_client, DEC_2, HTTP_ACCEPT_LANGUAGE="ja")

    assert "29 days left" not in japanese
    assert "残り29日" in japanese


def test_the_next_day_counts_one_day_less(customer, customer_client):
    TrialSubscriptionFactory(customer=customer)
    assert 'data-days-left="29"' in my_product(customer_client, kst(2026, 12, 2, 23, 50))

    assert 'data-days-left="28"' in my_product(customer_client, kst(2026, 12, 3, 0, 10))


def test_each_cached_card_carries_the_csrf_token_of_its_request(customer, customer_client):
    subscription = TrialSubscriptionFactory(customer=customer)
    subscription_cancel(subscription=subscription, on=date(2026, 12, 20), by=customer_actor(customer), now=DEC_2)
    first = my_product(customer_client, DEC_2)

    second = my_product(customer_client, DEC_2)

    assert "csrf-token-of-the-request" not in first + second
    assert second.count('name="csrfmiddlewaretoken"') == first.count('name="csrfmiddlewaretoken"') >= 2


def test_my_product_costs_six_queries_at_most_and_three_once_its_cards_are_cached(
    customer, customer_client, django_assert_num_queries
):
    # session, customer, subscriptions (with the top tier and the other platforms), and for the cards not in the
    # cache their reservations, rate segments and recent invoices
    for _ in range(4):
        TrialSubscriptionFactory(customer=customer)
    active = ActiveSubscriptionFactory(customer=customer)
    subscription_cancel(subscription=active, on=date(2027, 1, 20), by=customer_actor(customer), now=DEC_2)

    with django_assert_num_queries(6):
        my_product(customer_client, DEC_2)
    with django_assert_num_queries(3):
        my_product(customer_client, DEC_2)
