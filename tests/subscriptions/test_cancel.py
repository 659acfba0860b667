"""Cancellation (SPEC 5.5, 5.6): now, reserved, changed, withdrawn, executed by the job, and its penalty.

ActiveSubscriptionFactory: Basic annual, 10 licences at 5,000 (list 6,000), anchor and term start 2026-12-15,
term end 2027-12-14; periods start on the 15th (period 2 = 2027-02-15 .. 2027-03-14, 28 days).
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from billing.models import ContractType, CustomerCredit, Invoice, RateSegment
from subscriptions.models import LifecycleEvent, Reservation, Status
from subscriptions.services.cancel import (
    cancellation_penalty,
    subscription_cancel,
    subscription_execute_reserved_cancellation,
    subscription_withdraw_cancellation,
)
from subscriptions.services.core import customer_actor, job_actor
from subscriptions.services.paid import subscription_convert
from subscriptions.standing import standing_on
from tests.billing.factories import ActiveSubscriptionFactory, CreditGrantFactory, kst, subscription_snapshot
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from tests.workspaces.factories import MemberFactory
from workspaces.models import Member, Workspace

pytestmark = pytest.mark.django_db

JOB = job_actor("test-job")


def cancel(subscription, on, now):
    return subscription_cancel(subscription=subscription, on=on, by=customer_actor(subscription.customer), now=now)


def event_kinds(subscription) -> list[str]:
    return list(LifecycleEvent.objects.filter(subscription=subscription).order_by("id").values_list("kind", flat=True))


def penalty_of(subscription, on, *, today=date(2026, 12, 15)):
    """The penalty of a cancellation on ``on`` chosen on ``today`` (the term start by default): the contract is
    the calendar's of that day."""
    return cancellation_penalty(standing_on(subscription, today=today), on)


def penalty_line(invoice) -> int | None:
    return invoice.lines.filter(kind="penalty").values_list("amount", flat=True).first()


# --- the penalty (SPEC 5.6) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "discount_received", "remaining_fee", "amount"),
    [
        # cancelled on the term start: no discount yet, the whole year remains: 10% x 600,000 = 60,000
        pytest.param(date(2026, 12, 15), 0, 600_000, 60_000, id="term-start"),
        # 2027-03-01: discount 1,000 x 10 x (1 + 1 + 14/28) = 25,000; remaining 50,000 x (14/28 + 9) = 475,000
        pytest.param(date(2027, 3, 1), 25_000, 475_000, 50_000, id="mid-period"),
        # the last term day; the last period 2027-11-15 .. 12-14 has 30 days: discount 10,000 x (11 + 29/30)
        # = 119,666.7; remaining 50,000 x 1/30 = 1,666.7; 10% x 121,333.3 = 12,133.3 -> 12,133
        pytest.param(date(2027, 12, 14), 119_666, 1_666, 12_133, id="last-term-day"),
        pytest.param(date(2027, 12, 15), 0, 0, 0, id="penalty-free-date"),
    ],
)
def test_the_penalty_of_an_annual_contract(on, discount_received, remaining_fee, amount):
    active = ActiveSubscriptionFactory()

    penalty = penalty_of(active, on)

    assert (penalty.discount_received, penalty.remaining_fee, penalty.amount) == (
        discount_received,
        remaining_fee,
        amount,
    )
    assert penalty.penalty_free_date == date(2027, 12, 15)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY), id="monthly"),
        pytest.param(TrialSubscriptionFactory, id="trial"),
        pytest.param(lambda: TrialSubscriptionFactory(status=Status.SUSPENDED), id="suspended"),
    ],
)
def test_no_penalty_outside_annual_contracts(make):
    subscription = make()

    assert penalty_of(subscription, date(2026, 12, 20)).amount == 0


def test_the_penalty_reads_the_prices_and_licences_of_each_segment():
    active = ActiveSubscriptionFactory()
    RateSegment.objects.filter(subscription=active).update(ends_on=date(2027, 2, 15))
    RateSegment.objects.create(
        subscription=active,
        plan=plan("premium"),
        contract_type="annual",
        unit_price=10_000,
        list_unit_price=12_000,
        quantity=10,
        starts_on=date(2027, 2, 15),
    )

    penalty = penalty_of(active, date(2027, 3, 1))

    # discount: Basic 1,000 x 10 x 2 periods = 20,000; Premium 2,000 x 10 x 14/28 = 10,000 -> 30,000
    # remaining: Premium 100,000 x (14/28 + 9) = 950,000; 10% x 980,000 = 98,000
    assert (penalty.discount_received, penalty.remaining_fee, penalty.amount) == (30_000, 950_000, 98_000)


# --- cancel now -------------------------------------------------------------------------------------------------


def test_cancelling_an_annual_contract_now_invoices_usage_and_penalty_then_purges():
    active = ActiveSubscriptionFactory()
    MemberFactory(workspace=active.workspace)
    workspace_id = active.workspace_id
    popup_penalty = penalty_of(active, date(2027, 3, 1), today=date(2027, 3, 1))

    cancel(active, date(2027, 3, 1), kst(2027, 3, 1))

    active.refresh_from_db()
    assert (active.status, active.terminated_on, active.next_invoice_on) == ("terminated", date(2027, 3, 1), None)
    assert active.workspace is None
    assert active.purged_at is not None
    assert not Workspace.objects.filter(pk=workspace_id).exists()
    assert not Member.objects.filter(workspace_id=workspace_id).exists()
    # the ended periods 0 and 1 first, then the final invoice of period 2
    invoices = {invoice.period_index: invoice for invoice in Invoice.objects.filter(subscription=active)}
    assert sorted(invoices) == [0, 1, 2]
    final = invoices[2]
    assert final.is_final
    assert (final.period_start, final.period_end, final.issued_on) == (
        date(2027, 2, 15),
        date(2027, 2, 28),
        date(2027, 3, 1),
    )
    # usage 02-15 .. 02-28: 50,000 x 14/28 = 25,000; penalty 50,000; VAT 7,500
    assert list(final.lines.values_list("kind", "days", "amount")) == [
        ("usage", 14, 25_000),
        ("penalty", None, 50_000),
    ]
    assert (final.subtotal, final.vat, final.total) == (75_000, 7_500, 82_500)
    # the popup and the final invoice call the same function
    assert popup_penalty.amount == penalty_line(final) == 50_000
    assert list(RateSegment.objects.filter(subscription=active).values_list("ends_on", flat=True)) == [
        date(2027, 3, 1)
    ]
    assert event_kinds(active) == ["cancelled", "purged"]
    cancelled = LifecycleEvent.objects.get(subscription=active, kind="cancelled")
    assert (cancelled.from_status, cancelled.to_status) == ("active", "terminated")
    assert cancelled.details == {
        "cancellation_date": "2027-03-01",
        "penalty": 50_000,
        "final_invoice": final.public_id,
    }


def test_credit_settles_the_final_usage_but_never_the_penalty():
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    CreditGrantFactory(customer=active.customer, amount=100_000)

    cancel(active, date(2027, 3, 1), kst(2027, 3, 1))

    final = Invoice.objects.get(subscription=active, is_final=True)
    # 25,000 usage credited; 50,000 penalty + VAT 5,000 remains
    assert (final.credit_applied, final.vat, final.total) == (25_000, 5_000, 55_000)
    assert CustomerCredit.objects.balance_for(active.customer_id) == 75_000


def test_converted_and_cancelled_the_same_day_owes_the_penalty_only():
    trial = TrialSubscriptionFactory()
    subscription_convert(
        subscription=trial,
        plan=plan("basic"),
        contract_type="annual",
        licences=10,
        start_on=date(2026, 12, 10),
        by=customer_actor(trial.customer),
        now=kst(2026, 12, 10),
    )

    cancel(trial, date(2026, 12, 10), kst(2026, 12, 10, 18))

    final = Invoice.objects.get(subscription=trial)
    # no day used; the whole year remains: 10% x 600,000 = 60,000 + VAT 6,000
    assert list(final.lines.values_list("kind", "amount")) == [("penalty", 60_000)]
    assert (final.total, final.is_final) == (66_000, True)
    assert not RateSegment.objects.filter(subscription=trial).exists()


def test_cancelling_a_monthly_contract_bills_members_up_to_the_day_before():
    monthly = ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY)
    MemberFactory.create_batch(3, workspace=monthly.workspace)

    cancel(monthly, date(2026, 12, 25), kst(2026, 12, 25))

    final = Invoice.objects.get(subscription=monthly)
    # 4 members x 6,000 x 10/31 (12-15 .. 12-24) = 7,741.9 -> 7,741; no penalty
    assert list(final.lines.values_list("kind", "quantity", "days", "amount")) == [("usage", 4, 10, 7_741)]
    assert final.total == 8_515


@pytest.mark.parametrize(
    ("status", "today"), [(Status.TRIAL, date(2026, 12, 10)), (Status.SUSPENDED, date(2027, 1, 5))]
)
def test_cancelling_a_trial_now_ends_it_without_invoice(status, today):
    trial = TrialSubscriptionFactory(status=status)

    cancel(trial, today, kst(today.year, today.month, today.day))

    trial.refresh_from_db()
    assert (trial.status, trial.terminated_on, trial.workspace) == ("terminated", today, None)
    assert not Invoice.objects.filter(subscription=trial).exists()
    assert event_kinds(trial) == ["cancelled", "purged"]


# --- reserved, changed, withdrawn, executed -----------------------------------------------------------------------


def test_a_later_date_reserves_the_cancellation():
    active = ActiveSubscriptionFactory()

    cancel(active, date(2027, 6, 1), kst(2027, 3, 1))

    active.refresh_from_db()
    assert active.status == Status.ACTIVE
    assert list(Reservation.objects.filter(subscription=active).values_list("kind", "state", "effective_on")) == [
        ("cancellation", "pending", date(2027, 6, 1))
    ]
    assert event_kinds(active) == ["cancellation_reserved"]
    assert not Invoice.objects.exists()


def test_a_second_date_moves_the_reserved_cancellation():
    active = ActiveSubscriptionFactory()
    cancel(active, date(2027, 6, 1), kst(2027, 3, 1))

    cancel(active, date(2027, 12, 15), kst(2027, 3, 2))

    assert list(Reservation.objects.filter(subscription=active).values_list("state", "effective_on")) == [
        ("pending", date(2027, 12, 15))
    ]
    assert event_kinds(active) == ["cancellation_reserved", "cancellation_changed"]
    assert LifecycleEvent.objects.get(kind="cancellation_changed").details == {
        "from": "2027-06-01",
        "to": "2027-12-15",
    }


def test_withdrawing_the_reserved_cancellation():
    active = ActiveSubscriptionFactory()
    cancel(active, date(2027, 6, 1), kst(2027, 3, 1))

    subscription_withdraw_cancellation(subscription=active, by=customer_actor(active.customer), now=kst(2027, 3, 5))

    active.refresh_from_db()
    assert active.status == Status.ACTIVE
    assert list(Reservation.objects.filter(subscription=active).values_list("state", flat=True)) == ["withdrawn"]
    assert event_kinds(active) == ["cancellation_reserved", "cancellation_withdrawn"]


def test_the_job_executes_the_cancellation_on_its_date_even_when_late():
    active = ActiveSubscriptionFactory()
    cancel(active, date(2027, 3, 1), kst(2027, 2, 20))

    # the job missed 03-01 and runs on 03-03: the service still stopped on 03-01
    subscription = subscription_execute_reserved_cancellation(subscription=active, now=kst(2027, 3, 3), by=JOB)

    assert (subscription.status, subscription.terminated_on) == ("terminated", date(2027, 3, 1))
    final = Invoice.objects.get(subscription=active, is_final=True)
    assert list(final.lines.values_list("kind", "amount")) == [("usage", 25_000), ("penalty", 50_000)]
    assert list(Reservation.objects.filter(subscription=active).values_list("state", flat=True)) == ["done"]
    assert event_kinds(active) == ["cancellation_reserved", "cancelled", "purged"]
    assert LifecycleEvent.objects.get(subscription=active, kind="cancelled").actor == "job:test-job"


def test_a_cancellation_on_the_penalty_free_date_bills_the_last_period_and_no_penalty():
    active = ActiveSubscriptionFactory()
    cancel(active, date(2027, 12, 15), kst(2027, 3, 1))

    subscription_execute_reserved_cancellation(subscription=active, now=kst(2027, 12, 15), by=JOB)

    invoices = Invoice.objects.filter(subscription=active)
    assert sorted(invoices.values_list("period_index", flat=True)) == list(range(12))
    assert not invoices.filter(lines__kind="penalty").exists()
    assert not invoices.filter(is_final=True).exists()
    active.refresh_from_db()
    assert (active.status, active.terminated_on) == ("terminated", date(2027, 12, 15))


def test_the_job_ignores_a_withdrawn_cancellation():
    active = ActiveSubscriptionFactory()
    cancel(active, date(2027, 3, 1), kst(2027, 2, 20))
    subscription_withdraw_cancellation(subscription=active, by=customer_actor(active.customer), now=kst(2027, 2, 28))
    before = subscription_snapshot(active)

    subscription = subscription_execute_reserved_cancellation(subscription=active, now=kst(2027, 3, 1), by=JOB)

    assert subscription.status == Status.ACTIVE
    assert subscription_snapshot(active) == before


def test_the_job_waits_for_the_date_in_kst():
    active = ActiveSubscriptionFactory()
    cancel(active, date(2027, 3, 1), kst(2027, 2, 20))
    before = subscription_snapshot(active)

    subscription_execute_reserved_cancellation(subscription=active, now=kst(2027, 2, 28, 23, 59), by=JOB)

    assert subscription_snapshot(active) == before


# --- refused ------------------------------------------------------------------------------------------------------


def test_a_reserved_conversion_blocks_the_cancellation():
    trial = TrialSubscriptionFactory()
    Reservation.objects.create(
        subscription=trial,
        kind=Reservation.Kind.CONVERSION,
        effective_on=date(2026, 12, 20),
        plan=plan("basic"),
        contract_type="monthly",
    )
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="Withdraw the conversion first"):
        cancel(trial, date(2026, 12, 10), kst(2026, 12, 10))

    assert subscription_snapshot(trial) == before


@pytest.mark.parametrize(
    ("make", "on", "now", "message"),
    [
        pytest.param(
            ActiveSubscriptionFactory, date(2027, 2, 28), kst(2027, 3, 1), "from 2027-03-01 to 2027-12-15", id="past"
        ),
        pytest.param(
            ActiveSubscriptionFactory,
            date(2027, 12, 16),
            kst(2027, 3, 1),
            "from 2027-03-01 to 2027-12-15",
            id="after-the-penalty-free-date",
        ),
        pytest.param(
            TrialSubscriptionFactory,
            date(2027, 1, 1),
            kst(2026, 12, 10),
            "from 2026-12-10 to 2026-12-31",
            id="trial-beyond-the-day-after-its-last-day",
        ),
    ],
)
def test_the_cancellation_date_must_be_in_range(make, on, now, message):
    subscription = make()
    before = subscription_snapshot(subscription)

    with pytest.raises(ValidationError, match=message):
        cancel(subscription, on, now)

    assert subscription_snapshot(subscription) == before


def test_a_terminated_subscription_cannot_be_cancelled_again():
    trial = TrialSubscriptionFactory()
    cancel(trial, date(2026, 12, 10), kst(2026, 12, 10))
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="not available"):
        cancel(trial, date(2026, 12, 11), kst(2026, 12, 11))

    assert subscription_snapshot(trial) == before


def test_withdrawing_without_a_reserved_cancellation_is_refused():
    active = ActiveSubscriptionFactory()
    before = subscription_snapshot(active)

    with pytest.raises(ValidationError, match="no reserved cancellation"):
        subscription_withdraw_cancellation(
            subscription=active, by=customer_actor(active.customer), now=kst(2027, 3, 1)
        )

    assert subscription_snapshot(active) == before
