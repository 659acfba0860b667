"""The renewal job's chunk (SPEC 3, 5.3, 6): the renewals and invoices of many subscriptions at once, line by
line and credit by credit, in a number of queries that does not depend on the number of subscriptions.

Anchor 2026-12-15 (tests.billing.factories.PAID_START): period 0 = 2026-12-15 .. 2027-01-14, period 1 = 2027-01-15
.. 2027-02-14, period 2 = 2027-02-15 .. 2027-03-14. Catalog: Lite 3,000 / 3,600, Basic 5,000 / 6,000, Premium
10,000 / 12,000 (annual / monthly, KRW).
"""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import ContractType, CustomerCredit, Invoice, RateSegment
from subscriptions.lifecycle import JOBS, RENEW
from subscriptions.models import LifecycleEvent, RenewalOption, Status, Subscription
from subscriptions.services import jobs
from subscriptions.services.core import customer_actor
from subscriptions.services.paid import subscription_increase_licences, subscription_upgrade
from tests.accounts.factories import UserFactory
from tests.billing.factories import (
    ActiveSubscriptionFactory,
    CreditGrantFactory,
    bulk_active_subscriptions,
    issue_due,
    kst,
)
from tests.subscriptions.factories import ReservationFactory, plan
from tests.workspaces.factories import MemberFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

RENEWAL = JOBS[RENEW][0]


def claimed(subscriptions, now) -> list[Subscription]:
    """The chunk as the job hands it to a step: the due rows, locked, re-read, in id order (call in a transaction)."""
    return jobs._claim(RENEWAL, kst_date(now), [subscription.pk for subscription in subscriptions])


def invoices_of(subscriptions) -> list[list[tuple]]:
    """Each subscription's invoices: period, final, subtotal, credit applied, total, and the usage lines'
    quantity, days and amount."""
    return [
        [
            (
                invoice.period_index,
                invoice.is_final,
                invoice.subtotal,
                invoice.credit_applied,
                invoice.total,
                list(invoice.lines.order_by("id").values_list("kind", "quantity", "days", "amount")),
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
    """Each subscription's events: kind, and the details that say what the renewal did (ids left out)."""
    keep = ("option", "contract_type", "licences", "term_start", "term_end")
    return [
        [
            (event.kind, {key: value for key, value in event.details.items() if key in keep})
            for event in LifecycleEvent.objects.filter(subscription=subscription).order_by("id")
        ]
        for subscription in subscriptions
    ]


# --- a chunk's invoices, credit spent in order ---------------------------------------------------------------------


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
    issue_due(already_invoiced, kst(2027, 1, 15))
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


def test_a_chunk_invoices_every_ended_period_and_spends_credit_in_order():
    now = kst(2027, 3, 20)  # periods 0, 1 and 2 have ended
    chunk = invoicing_scenarios()

    with transaction.atomic():
        changed = RENEWAL.process(claimed(chunk, now), now)

    assert changed == 8
    full = [("usage", 10, 31, 50_000)]
    assert invoices_of(chunk) == [
        # 3 members x 3,600, settled by credit; of the 60,000, 6,000 went to the invoice issued while setting up
        [
            (0, False, 10_800, 10_800, 0, [("usage", 3, 31, 10_800)]),
            (1, False, 10_800, 10_800, 0, [("usage", 3, 31, 10_800)]),
            (2, False, 10_800, 10_800, 0, [("usage", 3, 28, 10_800)]),
        ],
        # the credit runs out in the second subscription's first period
        [
            (0, False, 50_000, 21_600, 31_240, full),
            (1, False, 50_000, 0, 55_000, full),
            (2, False, 50_000, 0, 55_000, [("usage", 10, 28, 50_000)]),
        ],
        # upgraded to Premium on 2027-01-20: period 1 prorates both segments by day
        [
            (0, False, 50_000, 0, 55_000, full),
            (1, False, 91_934, 0, 101_127, [("usage", 10, 5, 8_064), ("usage", 10, 26, 83_870)]),
            (2, False, 100_000, 0, 110_000, [("usage", 10, 28, 100_000)]),
        ],
        # 15 licences from 2027-02-20
        [
            (0, False, 50_000, 0, 55_000, full),
            (1, False, 50_000, 0, 55_000, full),
            (2, False, 70_535, 0, 77_588, [("usage", 10, 5, 8_928), ("usage", 15, 23, 61_607)]),
        ],
        # a cancellation due within period 1 leaves it to the final invoice
        [(0, False, 50_000, 0, 55_000, full)],
        [
            (0, False, 50_000, 0, 55_000, full),
            (1, False, 50_000, 0, 55_000, full),
            (2, False, 50_000, 0, 55_000, [("usage", 10, 28, 50_000)]),
        ],
        # period 0 was invoiced already (and took 6,000 of the credit): done, not issued twice
        [
            (0, False, 6_000, 6_000, 0, [("usage", 1, 31, 6_000)]),
            (1, False, 6_000, 0, 6_600, [("usage", 1, 31, 6_000)]),
            (2, False, 6_000, 0, 6_600, [("usage", 1, 28, 6_000)]),
        ],
        # another customer's own credit
        [
            (0, False, 100_000, 5_000, 104_500, [("usage", 10, 31, 100_000)]),
            (1, False, 100_000, 0, 110_000, [("usage", 10, 31, 100_000)]),
            (2, False, 100_000, 0, 110_000, [("usage", 10, 28, 100_000)]),
        ],
    ]
    due_next = (3, date(2027, 4, 15))
    assert [state[5:7] for state in states_of(chunk)] == [due_next] * 4 + [(1, date(2027, 2, 15))] + [due_next] * 3
    assert CustomerCredit.objects.balance_for(chunk[0].customer_id) == 0


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


def test_the_renewal_step_applies_each_renewal_option_then_invoices_the_year():
    now = kst(2027, 12, 20)  # every first term has ended; monthly ones have rolled 12 times
    chunk = renewal_scenarios()

    with transaction.atomic():
        changed = RENEWAL.process(claimed(chunk, now), now)

    assert changed == 6
    anchor, year_end, next_term_end = date(2026, 12, 15), date(2027, 12, 15), date(2028, 1, 14)
    assert states_of(chunk) == [
        ("active", "monthly", None, year_end, next_term_end, 12, date(2028, 1, 15), None),
        # monthly to annual at the end of its first term (period 0): a 12-period term from period 1
        ("active", "annual", 4, date(2027, 1, 15), next_term_end, 12, date(2028, 1, 15), None),
        ("active", "monthly", None, year_end, next_term_end, 12, date(2028, 1, 15), None),
        ("active", "annual", 10, year_end, date(2028, 12, 14), 12, date(2028, 1, 15), None),
        ("terminated", "annual", 10, anchor, date(2027, 12, 14), 12, None, year_end),
        # the roll stops before the term starting on the cancellation date (2027-03-15)
        ("active", "monthly", None, date(2027, 2, 15), date(2027, 3, 14), 3, date(2027, 4, 15), None),
    ]
    assert segments_of(chunk) == [
        [("basic", "monthly", 6_000, None, anchor, None)],
        [
            ("basic", "monthly", 6_000, None, anchor, date(2027, 1, 15)),
            ("basic", "annual", 5_000, 4, date(2027, 1, 15), None),
        ],
        [("basic", "annual", 5_000, 10, anchor, year_end), ("basic", "monthly", 6_000, None, year_end, None)],
        [("basic", "annual", 5_000, 10, anchor, year_end), ("basic", "annual", 5_000, 10, year_end, None)],
        [("basic", "annual", 5_000, 10, anchor, year_end)],
        [("basic", "monthly", 6_000, None, anchor, None)],
    ]
    totals = [[(invoice[0], invoice[4]) for invoice in invoices] for invoices in invoices_of(chunk)]
    # 100,000 of credit, spent in order: the monthly one (2 members x 6,000 + VAT) first, then the next
    assert totals[0] == [(index, 0) for index in range(8)] + [(8, 8_800), (9, 13_200), (10, 13_200), (11, 13_200)]
    assert totals[1] == [(0, 6_600)] + [(index, 22_000) for index in range(1, 12)]
    assert totals[2] == totals[3] == totals[4] == [(index, 55_000) for index in range(12)]
    assert totals[5] == [(0, 6_600), (1, 6_600), (2, 6_600)]
    renewed = {"option": "renew_annual", "contract_type": "annual"}
    switched = {"option": "switch_to_monthly", "contract_type": "monthly"}
    assert events_of(chunk) == [
        [],
        [("renewed", {**renewed, "licences": 4, "term_start": "2027-01-15", "term_end": "2028-01-14"})],
        [("renewed", {**switched, "term_start": "2027-12-15", "term_end": "2028-01-14"})],
        [("renewed", {**renewed, "licences": 10, "term_start": "2027-12-15", "term_end": "2028-12-14"})],
        [("not_renewed", {"term_end": "2027-12-14"}), ("purged", {})],
        [],
    ]


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
        # cancellations, member counts, invoices found, segments, savepoint, the block of numbers, credit lock,
        # 3 INSERTs, release, UPDATE
        pytest.param(ContractType.ANNUAL, kst(2027, 1, 15, 0, 10), 12, id="annual-one-period"),
        pytest.param(ContractType.ANNUAL, kst(2027, 3, 20), 12, id="annual-three-periods"),
        # the monthly term roll goes in the same UPDATE as the next period (issue 17): no query of its own
        pytest.param(ContractType.MONTHLY, kst(2027, 1, 15, 0, 10), 12, id="monthly-one-period"),
        pytest.param(ContractType.MONTHLY, kst(2027, 3, 20), 12, id="monthly-three-periods"),
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


def test_nothing_due_in_the_chunk_writes_nothing():
    subscription = ActiveSubscriptionFactory()
    now = kst(2027, 1, 14, 23, 59)  # period 0 has not ended in KST

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        changed = RENEWAL.process([subscription], now)

    assert changed == 0
    # The pending cancellations only: members are counted at the closes of periods that ended, and none did.
    assert [query["sql"].split()[0] for query in queries] == ["SELECT"]
    assert not Invoice.objects.exists()
    assert Subscription.objects.filter(pk=subscription.pk, status=Status.ACTIVE, next_period_index=0).exists()
