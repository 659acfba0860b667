"""The renewal job (SPEC 6 billing.tasks.renew_subscriptions) and its neighbours, on PostgreSQL."""

import threading
from datetime import date

import pytest
from django.db import connections
from django.test import TestCase

from billing.models import ContractType, Invoice, InvoiceLine
from subscriptions.lifecycle import ACTIVATE_CONVERSIONS, EXECUTE_CANCELLATIONS, JOBS, RENEW
from subscriptions.models import LifecycleEvent, Reservation, Status, Subscription
from subscriptions.services import jobs
from subscriptions.services.cancel import subscription_cancel
from subscriptions.services.core import customer_actor
from subscriptions.services.jobs import run_steps
from subscriptions.services.paid import subscription_convert, subscription_withdraw_conversion
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, bulk_active_subscriptions, kst
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from workspaces import directory

pytestmark = pytest.mark.django_db


def run(job: str, now, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return run_steps(job, JOBS[job], now=now, **kwargs)


@pytest.mark.parametrize(
    "runs",
    [
        pytest.param([kst(2027, 1, 14, 23, 50)], id="23-50-on-the-last-day-too-early"),
        pytest.param(
            [kst(2027, 1, 14, 23, 50), kst(2027, 1, 15, 0, 10), kst(2027, 1, 15, 0, 40), kst(2027, 1, 15, 9, 0)],
            id="23-50-00-10-00-40-09-00",
        ),
    ],
)
def test_runs_around_midnight_kst_issue_exactly_one_invoice_per_period(runs):
    # Annual Basic, 10 licences, anchored 2026-12-15: period 0 is 2026-12-15 .. 2027-01-14.
    subscription = ActiveSubscriptionFactory()

    for now in runs:
        run(RENEW, now)

    invoices = list(Invoice.objects.filter(subscription=subscription))
    expected = 0 if len(runs) == 1 else 1
    assert len(invoices) == expected
    assert Invoice.objects.filter(subscription=subscription, period_index=0).count() == expected


def test_the_first_invoice_bills_the_full_period_at_the_annual_price():
    subscription = ActiveSubscriptionFactory()

    run(RENEW, kst(2027, 1, 15, 0, 10))

    invoice = Invoice.objects.get(subscription=subscription)
    # 10 licences x 5,000 KRW = 50,000; VAT 10% = 5,000
    assert (invoice.period_start, invoice.period_end) == (date(2026, 12, 15), date(2027, 1, 14))
    assert (invoice.subtotal, invoice.vat, invoice.total) == (50_000, 5_000, 55_000)
    subscription.refresh_from_db()
    assert (subscription.next_period_index, subscription.next_invoice_on) == (1, date(2027, 2, 15))


def test_a_year_of_renewals_invoices_twelve_periods_then_renews_the_term():
    subscription = ActiveSubscriptionFactory(renewal_option="renew_annual")

    for month in range(1, 13):
        run(RENEW, kst(2027, month, 15, 0, 10))
    run(RENEW, kst(2027, 12, 15, 0, 40))

    subscription.refresh_from_db()
    assert Invoice.objects.filter(subscription=subscription).count() == 12
    assert (subscription.term_start, subscription.term_end) == (date(2027, 12, 15), date(2028, 12, 14))
    assert subscription.status == Status.ACTIVE
    assert LifecycleEvent.objects.filter(subscription=subscription, kind="renewed").count() == 1


def test_the_default_renewal_switches_an_annual_contract_to_monthly_at_the_term_end():
    subscription = ActiveSubscriptionFactory()

    run(RENEW, kst(2027, 12, 15, 0, 10))  # catches up the whole year in one run

    subscription.refresh_from_db()
    assert subscription.contract_type == ContractType.MONTHLY
    assert Invoice.objects.filter(subscription=subscription).count() == 12
    assert subscription.term_start == date(2027, 12, 15)


def test_do_not_renew_ends_the_service_the_day_after_the_term_without_penalty():
    subscription = ActiveSubscriptionFactory(renewal_option="do_not_renew")

    run(RENEW, kst(2027, 12, 15, 0, 10))

    subscription.refresh_from_db()
    assert subscription.status == Status.TERMINATED
    assert subscription.workspace_id is None
    assert not InvoiceLine.objects.filter(invoice__subscription=subscription, kind="penalty").exists()
    assert Invoice.objects.filter(subscription=subscription).count() == 12


def test_a_cancellation_and_a_renewal_due_on_the_same_day_give_one_final_invoice_and_no_renewal():
    subscription = ActiveSubscriptionFactory(renewal_option="renew_annual")
    for month in range(1, 12):
        run(RENEW, kst(2027, month, 15, 0, 10))
    subscription_cancel(
        subscription=subscription,
        on=date(2027, 12, 15),  # the day after the contract end: no penalty
        by=customer_actor(subscription.customer),
        now=kst(2027, 11, 20),
    )

    # Both jobs fire on the day, in either order, twice.
    for now in (kst(2027, 12, 15, 0, 10), kst(2027, 12, 15, 0, 40)):
        run(RENEW, now)
        run(EXECUTE_CANCELLATIONS, now)

    subscription.refresh_from_db()
    assert subscription.status == Status.TERMINATED
    assert not LifecycleEvent.objects.filter(subscription=subscription, kind="renewed").exists()
    invoices = Invoice.objects.filter(subscription=subscription)
    assert invoices.count() == 12
    assert invoices.filter(period_index=11).count() == 1
    assert not InvoiceLine.objects.filter(invoice__subscription=subscription, kind="penalty").exists()


def test_a_conversion_withdrawn_after_the_job_selected_it_does_nothing(monkeypatch):
    subscription = TrialSubscriptionFactory()
    subscription_convert(
        subscription=subscription,
        plan=plan("basic"),
        contract_type=ContractType.MONTHLY,
        licences=None,
        start_on=date(2026, 12, 20),
        by=customer_actor(subscription.customer),
        now=kst(2026, 12, 5),
    )
    original_claim = jobs._claim

    def withdraw_then_claim(step, today, ids):
        # The job has read the due ids; the customer's withdrawal of the evening before (SPEC 5.2: before the
        # date) commits before the job locks the rows.
        subscription_withdraw_conversion(
            subscription=subscription, by=customer_actor(subscription.customer), now=kst(2026, 12, 19, 23, 59)
        )
        return original_claim(step, today, ids)

    monkeypatch.setattr(jobs, "_claim", withdraw_then_claim)

    job_run = run(ACTIVATE_CONVERSIONS, kst(2026, 12, 20, 0, 10))

    subscription.refresh_from_db()
    assert subscription.status == Status.TRIAL
    assert job_run.processed == 0
    assert subscription.reservations.get().state == Reservation.State.WITHDRAWN
    assert not subscription.rate_segments.exists()


def test_activation_twice_leaves_the_same_state_as_once():
    subscription = TrialSubscriptionFactory()
    subscription_convert(
        subscription=subscription,
        plan=plan("premium"),
        contract_type=ContractType.ANNUAL,
        licences=5,
        start_on=date(2026, 12, 20),
        by=customer_actor(subscription.customer),
        now=kst(2026, 12, 5),
    )

    first = run(ACTIVATE_CONVERSIONS, kst(2026, 12, 20, 0, 10))
    second = run(ACTIVATE_CONVERSIONS, kst(2026, 12, 20, 0, 40))

    subscription.refresh_from_db()
    assert (first.processed, second.processed) == (1, 0)
    assert (subscription.status, subscription.paid_start, subscription.licences) == (
        Status.ACTIVE,
        date(2026, 12, 20),
        5,
    )
    assert subscription.rate_segments.count() == 1
    assert LifecycleEvent.objects.filter(subscription=subscription, kind="converted").count() == 1


def test_reserved_cancellation_twice_gives_one_final_invoice_with_the_penalty():
    subscription = ActiveSubscriptionFactory()
    subscription_cancel(
        subscription=subscription, on=date(2027, 3, 1), by=customer_actor(subscription.customer), now=kst(2027, 2, 1)
    )

    run(EXECUTE_CANCELLATIONS, kst(2027, 3, 1, 0, 10))
    run(RENEW, kst(2027, 3, 1, 0, 20))
    run(EXECUTE_CANCELLATIONS, kst(2027, 3, 1, 0, 40))

    subscription.refresh_from_db()
    assert subscription.status == Status.TERMINATED
    final = Invoice.objects.get(subscription=subscription, is_final=True)
    assert final.lines.filter(kind="penalty").count() == 1
    assert Invoice.objects.filter(subscription=subscription).count() == 3  # periods 0, 1 and the final one


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_workers_over_2000_due_periods_issue_each_invoice_exactly_once():
    # The same rows as ActiveSubscriptionFactory, inserted in bulk: made one by one they took longer than the job.
    subscriptions = bulk_active_subscriptions(2000, contract_type=ContractType.MONTHLY, customer=UserFactory())
    ids = [subscription.pk for subscription in subscriptions]
    barrier = threading.Barrier(4)
    runs, failures = [], []

    def worker():
        try:
            barrier.wait()
            runs.append(run_steps(RENEW, JOBS[RENEW], now=kst(2027, 1, 15, 0, 10), chunk_size=100))
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sum(job_run.processed for job_run in runs) == 2000
    invoices = Invoice.objects.filter(subscription_id__in=ids)
    assert invoices.count() == 2000
    assert invoices.values("subscription_id").distinct().count() == 2000
    assert Subscription.objects.filter(pk__in=ids, next_period_index=1).count() == 2000


# --- monthly contracts are billed on the members registered at each period's close (SPEC 3) --------------------

MEMBER_PASSWORD = "works2026ok"


def monthly_basic():
    # Monthly Basic (6,000 KRW a member), anchored 2026-12-15: period 0 closes at 2027-01-15 00:00 KST, period 1
    # at 2027-02-15 00:00 KST. The workspace has its admin account, registered before both.
    return ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY, licences=None)


def add_member(subscription, login_id: str, *, at):
    return directory.member_add(
        workspace=subscription.workspace, login_id=login_id, name=login_id.title(), password=MEMBER_PASSWORD, now=at
    )


def quantities(subscription) -> list[tuple[int, int]]:
    return list(
        InvoiceLine.objects.filter(invoice__subscription=subscription)
        .order_by("invoice__period_index")
        .values_list("invoice__period_index", "quantity")
    )


def test_a_member_added_one_minute_after_the_close_is_billed_in_the_next_period_only():
    subscription = monthly_basic()
    add_member(subscription, "late", at=kst(2027, 1, 15, 0, 1))

    run(RENEW, kst(2027, 1, 15, 0, 10))
    run(RENEW, kst(2027, 2, 15, 0, 10))

    assert quantities(subscription) == [(0, 1), (1, 2)]
    assert list(Invoice.objects.filter(subscription=subscription).order_by("period_index").values_list("total")) == [
        (6_600,),  # 1 x 6,000 + VAT
        (13_200,),  # 2 x 6,000 + VAT
    ]


def test_a_member_removed_after_the_close_is_still_billed_for_that_period_and_one_removed_before_is_not():
    subscription = monthly_basic()
    before = add_member(subscription, "before", at=kst(2027, 1, 2))
    after = add_member(subscription, "after", at=kst(2027, 1, 2))
    directory.member_remove(member=before, now=kst(2027, 1, 14, 23, 59))
    directory.member_remove(member=after, now=kst(2027, 1, 15, 0, 1))

    run(RENEW, kst(2027, 1, 15, 9, 0))  # the job runs hours after both removals
    run(RENEW, kst(2027, 2, 15, 0, 10))

    assert quantities(subscription) == [(0, 2), (1, 1)]  # period 0: admin + "after"; period 1: the admin


def test_a_catch_up_run_bills_each_missed_period_on_the_members_at_its_own_close():
    subscription = monthly_basic()
    add_member(subscription, "second", at=kst(2027, 1, 20))
    third = add_member(subscription, "third", at=kst(2027, 1, 20))
    directory.member_remove(member=third, now=kst(2027, 3, 1))

    run(RENEW, kst(2027, 3, 20, 9, 0))  # no run since December: periods 0, 1 and 2 in one go

    assert quantities(subscription) == [(0, 1), (1, 3), (2, 2)]


def test_a_final_invoice_bills_the_members_registered_when_its_usage_ends():
    subscription = monthly_basic()
    run(RENEW, kst(2027, 1, 15, 0, 10))
    subscription_cancel(
        subscription=subscription, on=date(2027, 1, 25), by=customer_actor(subscription.customer), now=kst(2027, 1, 20)
    )
    add_member(subscription, "last", at=kst(2027, 1, 25, 0, 1))  # the service runs until the job ends it

    run(EXECUTE_CANCELLATIONS, kst(2027, 1, 25, 0, 10))

    final = Invoice.objects.get(subscription=subscription, is_final=True)
    line = final.lines.get()
    # 10 of period 1's 31 days, for the admin alone: floor(6,000 x 1 x 10 / 31) = 1,935
    assert (line.quantity, line.days, line.period_days, line.amount) == (1, 10, 31, 1_935)
