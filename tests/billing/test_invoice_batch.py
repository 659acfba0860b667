"""The renewal job's invoices for a whole chunk (SPEC 3, 6): the same invoices as the per-row path, in a number of
queries that does not depend on the number of subscriptions.

Anchor 2026-12-15 (tests.billing.factories.PAID_START): period 0 = 2026-12-15 .. 2027-01-14, period 1 = 2027-01-15
.. 2027-02-14, period 2 = 2027-02-15 .. 2027-03-14. Catalog: Lite 3,000 / 3,600, Basic 5,000 / 6,000, Premium
10,000 / 12,000 (annual / monthly, KRW).
"""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing import services
from billing.models import ContractType, CustomerCredit, Invoice, RateSegment
from billing.services import invoice_issue_due, invoice_issue_due_many, invoice_issue_for_period
from subscriptions.lifecycle import JOBS, RENEW
from subscriptions.models import LifecycleEvent, RenewalOption, Status, Subscription
from subscriptions.services import jobs
from subscriptions.services.core import customer_actor, job_actor
from subscriptions.services.paid import (
    subscription_increase_licences,
    subscription_renew_at_term_end,
    subscription_upgrade,
)
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, CreditGrantFactory, bulk_active_subscriptions, kst
from tests.subscriptions.factories import ReservationFactory, plan
from tests.workspaces.factories import MemberFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

RENEWAL = JOBS[RENEW][0]


def claimed(subscriptions, now) -> list[Subscription]:
    """The chunk as the job hands it to a step: the due rows, locked, re-read, in id order (call in a transaction)."""
    return jobs._claim(RENEWAL, kst_date(now), [subscription.pk for subscription in subscriptions])


def invoices_of(subscriptions) -> list[list[tuple]]:
    """Every invoice of each subscription, line by line, with its use of credit (ids and public ids left out)."""
    return [
        [
            (
                invoice.period_index,
                invoice.period_start,
                invoice.period_end,
                invoice.issued_on,
                invoice.is_final,
                invoice.subtotal,
                invoice.credit_applied,
                invoice.vat,
                invoice.total,
                list(
                    invoice.lines.order_by("id").values_list(
                        "kind",
                        "description",
                        "plan_name",
                        "contract_type",
                        "unit_price",
                        "quantity",
                        "days",
                        "period_days",
                        "amount",
                    )
                ),
                list(CustomerCredit.objects.filter(invoice=invoice).values_list("amount", flat=True)),
            )
            for invoice in Invoice.objects.filter(subscription=subscription).order_by("period_index")
        ]
        for subscription in subscriptions
    ]


def states_of(subscriptions) -> list[tuple]:
    return [
        Subscription.objects.filter(pk=subscription.pk)
        .values_list(
            "status",
            "contract_type",
            "licences",
            "term_start",
            "term_end",
            "next_period_index",
            "next_invoice_on",
            "terminated_on",
        )
        .get()
        for subscription in subscriptions
    ]


def segments_of(subscriptions) -> list[list[tuple]]:
    return [
        list(
            RateSegment.objects.filter(subscription=subscription)
            .order_by("starts_on", "id")
            .values_list("plan__code", "contract_type", "unit_price", "quantity", "starts_on", "ends_on")
        )
        for subscription in subscriptions
    ]


def events_of(subscriptions) -> list[list[tuple]]:
    return [
        list(
            LifecycleEvent.objects.filter(subscription=subscription)
            .order_by("id")
            .values_list("kind", "from_status", "to_status", "details")
        )
        for subscription in subscriptions
    ]


# --- the same invoices as the per-row path -----------------------------------------------------------------------


def invoicing_scenarios() -> list[Subscription]:
    """One chunk of due subscriptions, made the same way each call, with a new customer holding 60,000 of credit:
    the credit runs out in the middle of the second subscription, so the order of consumption shows."""
    customer = UserFactory()
    CreditGrantFactory(customer=customer, amount=60_000)
    monthly = ActiveSubscriptionFactory(customer=customer, plan_code="lite", contract_type=ContractType.MONTHLY)
    MemberFactory.create_batch(2, workspace=monthly.workspace)
    plain = ActiveSubscriptionFactory(customer=customer)
    upgraded = ActiveSubscriptionFactory(customer=customer)
    subscription_upgrade(
        subscription=upgraded, plan=plan("premium"), by=customer_actor(customer), now=kst(2027, 1, 20)
    )
    more_licences = ActiveSubscriptionFactory(customer=customer)
    subscription_increase_licences(
        subscription=more_licences, licences=15, by=customer_actor(customer), now=kst(2027, 2, 20)
    )
    cancelled_in_period_1 = ActiveSubscriptionFactory(customer=customer)
    ReservationFactory(subscription=cancelled_in_period_1, effective_on=date(2027, 2, 1))
    cancelled_later = ActiveSubscriptionFactory(customer=customer)
    ReservationFactory(subscription=cancelled_later, effective_on=date(2027, 4, 1))
    already_invoiced = ActiveSubscriptionFactory(customer=customer, contract_type=ContractType.MONTHLY)
    invoice_issue_for_period(subscription=already_invoiced, period_index=0, now=kst(2027, 1, 15))
    Subscription.objects.filter(pk=already_invoiced.pk).update(next_period_index=0, next_invoice_on=date(2027, 1, 15))
    other_customer = ActiveSubscriptionFactory(plan_code="premium")
    CreditGrantFactory(customer=other_customer.customer, amount=5_000)
    return [
        monthly,
        plain,
        upgraded,
        more_licences,
        cancelled_in_period_1,
        cancelled_later,
        already_invoiced,
        other_customer,
    ]


def test_a_chunk_issues_the_same_invoices_line_by_line_as_the_per_row_path():
    now = kst(2027, 3, 20)  # periods 0, 1 and 2 have ended
    one_by_one, in_bulk = invoicing_scenarios(), invoicing_scenarios()

    with transaction.atomic():
        per_row_closed = sum(
            len(invoice_issue_due(subscription=subscription, now=now)) for subscription in claimed(one_by_one, now)
        )
    with transaction.atomic():
        chunk_closed = invoice_issue_due_many(subscriptions=claimed(in_bulk, now), now=now)

    assert invoices_of(in_bulk) == invoices_of(one_by_one)
    assert states_of(in_bulk) == states_of(one_by_one)
    assert chunk_closed == per_row_closed == 3 + 3 + 3 + 3 + 1 + 3 + 3 + 3
    # spot checks of the shared result: of the 60,000 credit, 6,000 went to the invoice issued while setting up,
    # then the credit ran out in the second subscription's first period
    monthly, plain = invoices_of(in_bulk)[:2]
    assert [invoice[6] for invoice in monthly] == [10_800, 10_800, 10_800]  # 3 members x 3,600
    assert [invoice[6] for invoice in plain] == [21_600, 0, 0]
    assert CustomerCredit.objects.balance_for(in_bulk[0].customer_id) == 0
    # a cancellation due within period 1 leaves it to the final invoice
    assert states_of(in_bulk)[4][5:7] == (1, date(2027, 2, 15))


def old_renew(subscriptions, now) -> int:
    """The renewal step as it was, one subscription at a time: renewal at the term end, then its invoices."""
    changed = 0
    for subscription in subscriptions:
        term_end = subscription.term_end
        subscription = subscription_renew_at_term_end(subscription=subscription, now=now, by=job_actor(RENEW))
        issued = invoice_issue_due(subscription=subscription, now=now) if subscription.status == "active" else []
        changed += bool(issued) or subscription.term_end != term_end or subscription.status != "active"
    return changed


def renewal_scenarios() -> list[Subscription]:
    customer = UserFactory()
    CreditGrantFactory(customer=customer, amount=100_000)
    monthly = ActiveSubscriptionFactory(customer=customer, contract_type=ContractType.MONTHLY)
    MemberFactory(workspace=monthly.workspace)
    monthly_to_annual = ActiveSubscriptionFactory(
        customer=customer,
        contract_type=ContractType.MONTHLY,
        renewal_option=RenewalOption.RENEW_ANNUAL,
        renewal_licences=4,
    )
    annual_to_monthly = ActiveSubscriptionFactory(customer=customer)
    annual_renewed = ActiveSubscriptionFactory(customer=customer, renewal_option=RenewalOption.RENEW_ANNUAL)
    # Another customer: its final invoice is issued by the renewal itself, before the chunk's invoices, so credit
    # shared with the chunk would be spread over the invoices in another order (the same total).
    not_renewed = ActiveSubscriptionFactory(renewal_option=RenewalOption.DO_NOT_RENEW)
    monthly_cancelled = ActiveSubscriptionFactory(customer=customer, contract_type=ContractType.MONTHLY)
    ReservationFactory(subscription=monthly_cancelled, effective_on=date(2027, 3, 15))
    return [monthly, monthly_to_annual, annual_to_monthly, annual_renewed, not_renewed, monthly_cancelled]


def test_the_renewal_step_leaves_the_same_rows_as_renewing_and_invoicing_one_by_one():
    now = kst(2027, 12, 20)  # every first term has ended; monthly ones have rolled 12 times
    one_by_one, in_bulk = renewal_scenarios(), renewal_scenarios()

    with transaction.atomic():
        per_row_changed = old_renew(claimed(one_by_one, now), now)
    with transaction.atomic():
        step_changed = RENEWAL.process(claimed(in_bulk, now), now)

    assert step_changed == per_row_changed == 6
    assert states_of(in_bulk) == states_of(one_by_one)
    assert segments_of(in_bulk) == segments_of(one_by_one)
    assert invoices_of(in_bulk) == invoices_of(one_by_one)
    assert events_of(in_bulk) == events_of(one_by_one)
    monthly, *_rest, monthly_cancelled = states_of(in_bulk)
    assert monthly[3:7] == (date(2027, 12, 15), date(2028, 1, 14), 12, date(2028, 1, 15))
    # the roll stops before the term starting on the cancellation date (2027-03-15); periods 0 .. 2 end before it
    assert monthly_cancelled[3:7] == (date(2027, 2, 15), date(2027, 3, 14), 3, date(2027, 4, 15))


# --- queries per chunk (SPEC 6: bounded, not per row) ------------------------------------------------------------


def renewal_queries(count: int, *, contract_type: str, now) -> int:
    customer = UserFactory()
    CreditGrantFactory(customer=customer, amount=1_000_000)
    subscriptions = bulk_active_subscriptions(count, customer=customer, contract_type=contract_type)
    with transaction.atomic():
        chunk = claimed(subscriptions, now)
        with CaptureQueriesContext(connection) as queries:
            changed = RENEWAL.process(chunk, now)
    assert changed == count
    return len(queries)


@pytest.mark.parametrize(
    ("contract_type", "now", "expected"),
    [
        # cancellations, invoices found, segments, credit lock, savepoint, 3 INSERTs, release, UPDATE
        pytest.param(ContractType.ANNUAL, kst(2027, 1, 15, 0, 10), 10, id="annual-one-period"),
        pytest.param(ContractType.ANNUAL, kst(2027, 3, 20), 10, id="annual-three-periods"),
        # + the monthly term roll (cancellations, UPDATE) and the member counts
        pytest.param(ContractType.MONTHLY, kst(2027, 1, 15, 0, 10), 13, id="monthly-one-period"),
        pytest.param(ContractType.MONTHLY, kst(2027, 3, 20), 13, id="monthly-three-periods"),
    ],
)
def test_the_renewal_step_runs_as_many_queries_for_50_subscriptions_as_for_one(contract_type, now, expected):
    one = renewal_queries(1, contract_type=contract_type, now=now)
    fifty = renewal_queries(50, contract_type=contract_type, now=now)

    assert one == fifty == expected


def test_fifty_subscriptions_get_their_invoices_and_move_to_the_next_period():
    customer = UserFactory()
    subscriptions = bulk_active_subscriptions(50, customer=customer, contract_type=ContractType.MONTHLY)
    now = kst(2027, 1, 15, 0, 10)

    with transaction.atomic():
        RENEWAL.process(claimed(subscriptions, now), now)

    ids = [subscription.pk for subscription in subscriptions]
    assert Invoice.objects.filter(subscription_id__in=ids, period_index=0).count() == 50
    # the admin account is the one member billed: 6,000 + VAT 600
    assert set(Invoice.objects.filter(subscription_id__in=ids).values_list("total", flat=True)) == {6_600}
    assert set(
        Subscription.objects.filter(pk__in=ids).values_list("next_period_index", "next_invoice_on", "term_end")
    ) == {(1, date(2027, 2, 15), date(2027, 2, 14))}


# --- the unique guard underneath ----------------------------------------------------------------------------------


def test_an_insert_refused_by_the_unique_guard_falls_back_to_row_by_row_and_issues_each_period_once(monkeypatch):
    customer = UserFactory()
    raced, other = ActiveSubscriptionFactory(customer=customer), ActiveSubscriptionFactory(customer=customer)
    # Another writer issued period 0 of `raced` behind the chunk's back (the read of issued invoices missed it).
    invoice_issue_for_period(subscription=raced, period_index=0, now=kst(2027, 1, 15))
    Subscription.objects.filter(pk=raced.pk).update(next_period_index=0, next_invoice_on=date(2027, 1, 15))
    monkeypatch.setattr(services, "_invoices_from_next_period", lambda subscription_ids: {})
    now = kst(2027, 1, 15, 0, 10)

    with transaction.atomic():
        closed = invoice_issue_due_many(subscriptions=claimed([raced, other], now), now=now)

    assert closed == 2  # the period found issued counts as done
    assert sorted(
        Invoice.objects.filter(subscription__in=[raced, other]).values_list("subscription_id", "period_index")
    ) == [(raced.pk, 0), (other.pk, 0)]
    assert set(
        Subscription.objects.filter(pk__in=[raced.pk, other.pk]).values_list("next_period_index", "next_invoice_on")
    ) == {(1, date(2027, 2, 15))}


def test_nothing_due_in_the_chunk_writes_nothing():
    subscription = ActiveSubscriptionFactory()
    now = kst(2027, 1, 14, 23, 59)  # period 0 has not ended in KST

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        closed = invoice_issue_due_many(subscriptions=[subscription], now=now)

    assert closed == 0
    assert len(queries) == 0
    assert not Invoice.objects.exists()
    assert Subscription.objects.filter(pk=subscription.pk, status=Status.ACTIVE, next_period_index=0).exists()
