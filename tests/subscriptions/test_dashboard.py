"""The admin index is the operators' dashboard (SPEC 11): states, what falls due in 7 days with its amounts, each
job's last run and its failed items; at most 10 queries whatever the data size.

Now is 2027-01-12 (KST): the window runs to 2027-01-19. The paid subscriptions start on 2026-12-15 (Basic:
annual 5,000, monthly 6,000), so period 0 (2026-12-15 .. 2027-01-14, 31 days) is invoiced on 2027-01-15.
"""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from billing.models import ContractType
from subscriptions.models import JobRun, Reservation
from tests.billing.factories import ActiveSubscriptionFactory, bulk_active_subscriptions, kst
from tests.subscriptions.factories import (
    ConversionReservationFactory,
    ReservationFactory,
    SuspendedSubscriptionFactory,
    TrialSubscriptionFactory,
)
from tests.workspaces.factories import MemberFactory

pytestmark = pytest.mark.django_db

NOW = kst(2027, 1, 12)


@pytest.fixture
def business():
    annual = ActiveSubscriptionFactory(name="annual-one")
    leaving = ActiveSubscriptionFactory(name="leaving")
    ReservationFactory(subscription=leaving, effective_on=date(2027, 1, 18))
    monthly = ActiveSubscriptionFactory(name="monthly", contract_type=ContractType.MONTHLY, licences=None)
    MemberFactory.create_batch(2, workspace=monthly.workspace)  # with the admin account: 3 members
    converting = TrialSubscriptionFactory(name="converting")
    ConversionReservationFactory(subscription=converting, effective_on=date(2027, 1, 15))
    ending = TrialSubscriptionFactory(name="ending", applied_on=date(2026, 12, 15))  # last trial day 2027-01-13
    SuspendedSubscriptionFactory(name="graceful", grace_last_day=date(2027, 1, 16))
    TrialSubscriptionFactory(name="far-away", applied_on=date(2027, 1, 10))
    JobRun.objects.create(
        job="billing.tasks.renew_subscriptions",
        state=JobRun.State.FINISHED,
        started_at=kst(2027, 1, 12, 9),
        finished_at=kst(2027, 1, 12, 9, 1),
        as_of=kst(2027, 1, 12, 9),
        processed=7,
        errors=1,
        error_details=[{"step": "close_period", "id": annual.pk, "error": "OperationalError()"}],
    )
    return {"annual": annual, "leaving": leaving, "monthly": monthly, "converting": converting, "ending": ending}


def dashboard_html(client, admin_user) -> str:
    client.force_login(admin_user)
    return client.get(reverse("admin:index")).content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_shows_states_what_falls_due_with_amounts_and_the_last_runs(client, admin_user, business):
    html = dashboard_html(client, admin_user)

    assert 'data-state="trial"><a href="/admin/subscriptions/subscription/?status__exact=trial">3</a>' in html
    assert 'data-state="active"><a href="/admin/subscriptions/subscription/?status__exact=active">3</a>' in html
    assert "converting" in html and "ending" in html and "graceful" in html
    assert "far-away" not in html
    # 10% x (1,000 x 10 x (1 + 3/31) + 5,000 x 10 x (28/31 + 10)) = 55,612.9 -> 55,612
    assert 'data-total="penalties">₩55,612<' in html
    # annual: 10 x 5,000 = 50,000 + VAT; monthly: 3 members x 6,000 = 18,000 + VAT
    assert f'data-expected-total="{business["annual"].public_id}">₩55,000<' in html
    assert f'data-expected-total="{business["monthly"].public_id}">₩19,800<' in html
    assert 'data-total="invoices">₩129,800<' in html
    assert 'data-job="billing.tasks.renew_subscriptions"' in html
    assert f'href="/admin/subscriptions/subscription/{business["annual"].pk}/change/">close_period #' in html


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_reads_at_most_10_queries_with_little_data(
    client, admin_user, business, django_assert_max_num_queries
):
    client.force_login(admin_user)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:index"))

    assert response.status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_reads_at_most_10_queries_with_much_data(
    client, admin_user, business, django_assert_max_num_queries
):
    many = bulk_active_subscriptions(120, customer=business["annual"].customer)
    Reservation.objects.bulk_create(
        Reservation(subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 1, 17))
        for subscription in many[:60]
    )
    JobRun.objects.bulk_create(
        JobRun(job=f"subscriptions.tasks.job_{n % 5}", started_at=kst(2027, 1, 1 + n % 10), as_of=NOW, processed=n)
        for n in range(200)
    )
    client.force_login(admin_user)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:index"))

    html = response.content.decode()
    assert "and 103 more" in html  # 123 invoices due, 20 shown
    assert "and 41 more" in html  # 61 cancellations due, 20 shown
