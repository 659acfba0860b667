"""Invoices (SPEC 3, 5.5): the pure builder, then issuing and storing under the subscription lock, and credits.

Anchor 2026-12-15 (tests.billing.factories.PAID_START): period 0 = 2026-12-15 .. 2027-01-14 (31 days),
period 1 = 2027-01-15 .. 2027-02-14 (31 days), period 2 = 2027-02-15 .. 2027-03-14 (28 days).
Catalog: Lite 3,000 / 3,600, Basic 5,000 / 6,000, Premium 10,000 / 12,000 (annual / monthly, KRW).
"""

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing import services
from billing.invoices import BillableSegment, build_period_invoice
from billing.models import ContractType, CustomerCredit, Invoice, InvoiceLine
from billing.periods import period_bounds, term_bounds
from billing.pricing import InvoiceTotals, SegmentTerms, early_termination_penalty
from billing.services import credit_grant
from subscriptions.models import Reservation, Subscription
from tests.accounts.factories import UserFactory
from tests.billing.factories import PAID_START, ActiveSubscriptionFactory, CreditGrantFactory, issue_due, kst
from tests.workspaces.factories import MemberFactory

pytestmark = pytest.mark.django_db

TEN_PERCENT = Fraction(1, 10)
PERIOD_1 = period_bounds(PAID_START, 1)  # 2027-01-15 .. 2027-02-14, 31 days
PERIOD_2 = period_bounds(PAID_START, 2)  # 2027-02-15 .. 2027-03-14, 28 days


def basic_annual(quantity: int, starts_on: date, ends_on: date | None = None) -> BillableSegment:
    return BillableSegment("Basic", ContractType.ANNUAL, 5_000, 6_000, quantity, starts_on, ends_on)


def premium_annual(quantity: int, starts_on: date, ends_on: date | None = None) -> BillableSegment:
    return BillableSegment("Premium", ContractType.ANNUAL, 10_000, 12_000, quantity, starts_on, ends_on)


def basic_monthly(starts_on: date, ends_on: date | None = None) -> BillableSegment:
    return BillableSegment("Basic", ContractType.MONTHLY, 6_000, 6_000, None, starts_on, ends_on)


def amounts(draft) -> list[tuple[str, int]]:
    return [(line.kind, line.amount) for line in draft.lines]


# --- the pure builder ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segments", "period", "members", "expected_lines", "expected_totals"),
    [
        pytest.param(
            [basic_annual(10, PAID_START)],
            PERIOD_1,
            1,
            # 5,000 x 10 x 31/31 = 50,000; VAT 5,000
            [("usage", 50_000)],
            InvoiceTotals(subtotal=50_000, credit_applied=0, taxable=50_000, vat=5_000, total=55_000, credit_due=0),
            id="annual-full-period",
        ),
        pytest.param(
            [basic_annual(10, PAID_START, date(2027, 2, 1)), premium_annual(10, date(2027, 2, 1))],
            PERIOD_1,
            1,
            # upgrade on 2027-02-01: Basic 01-15..01-31 = 17 days: 5,000 x 10 x 17/31 = 27,419.35 -> 27,419;
            # Premium 02-01..02-14 = 14 days: 10,000 x 10 x 14/31 = 45,161.29 -> 45,161; 72,580 + VAT 7,258
            [("usage", 27_419), ("usage", 45_161)],
            InvoiceTotals(subtotal=72_580, credit_applied=0, taxable=72_580, vat=7_258, total=79_838, credit_due=0),
            id="upgrade-mid-period-prorates-both-segments",
        ),
        pytest.param(
            [basic_monthly(PAID_START)],
            PERIOD_2,
            7,
            # monthly: the 7 members registered at the close x 6,000 x 28/28 = 42,000; VAT 4,200
            [("usage", 42_000)],
            InvoiceTotals(subtotal=42_000, credit_applied=0, taxable=42_000, vat=4_200, total=46_200, credit_due=0),
            id="monthly-quantity-is-the-members",
        ),
        pytest.param(
            [basic_annual(7, PAID_START, date(2027, 2, 1))],
            PERIOD_1,
            3,
            # annual ignores the members: 5,000 x 7 x 17/31 = 19,193.5 -> 19,193; VAT 1,919.3 -> 1,919
            [("usage", 19_193)],
            InvoiceTotals(subtotal=19_193, credit_applied=0, taxable=19_193, vat=1_919, total=21_112, credit_due=0),
            id="vat-floored",
        ),
        pytest.param(
            [basic_annual(10, PAID_START, date(2027, 1, 20)), basic_annual(15, date(2027, 1, 20))],
            PERIOD_1,
            1,
            # 10 licences for 5 days: 5,000 x 10 x 5/31 = 8,064.5 -> 8,064; 15 for 26 days: 5,000 x 15 x 26/31
            # = 62,903.2 -> 62,903; 70,967 + VAT 7,096.7 -> 7,096
            [("usage", 8_064), ("usage", 62_903)],
            InvoiceTotals(subtotal=70_967, credit_applied=0, taxable=70_967, vat=7_096, total=78_063, credit_due=0),
            id="licence-increase-mid-period",
        ),
        pytest.param(
            [basic_annual(10, PAID_START, PERIOD_1.start), premium_annual(10, PERIOD_1.start)],
            PERIOD_2,
            1,
            # a segment that ended before the period is not billed at all
            [("usage", 100_000)],
            InvoiceTotals(
                subtotal=100_000, credit_applied=0, taxable=100_000, vat=10_000, total=110_000, credit_due=0
            ),
            id="earlier-segment-not-billed",
        ),
    ],
)
def test_build_period_invoice(segments, period, members, expected_lines, expected_totals):
    draft = build_period_invoice(segments=segments, period=period, members=members, vat_rate=TEN_PERCENT)

    assert amounts(draft) == expected_lines
    assert draft.totals == expected_totals
    assert (draft.period_index, draft.period_start, draft.period_end, draft.is_final) == (
        period.index,
        period.start,
        period.end,
        False,
    )


def test_usage_line_records_price_quantity_and_days():
    draft = build_period_invoice(
        segments=[basic_annual(10, PAID_START, date(2027, 2, 1)), premium_annual(10, date(2027, 2, 1))],
        period=PERIOD_1,
        members=1,
        vat_rate=TEN_PERCENT,
    )

    first, second = draft.lines
    assert (first.plan_name, first.contract_type, first.unit_price, first.quantity, first.days, first.period_days) == (
        "Basic",
        "annual",
        5_000,
        10,
        17,
        31,
    )
    assert first.description == "Basic 2027-01-15 – 2027-01-31"
    assert second.description == "Premium 2027-02-01 – 2027-02-14"


def _penalty_on_march_1():
    # Basic annual, 10 licences, term 2026-12-15 .. 2027-12-14, cancelled on 2027-03-01:
    # discount received = 1,000 x 10 x (31/31 + 31/31 + 14/28) = 25,000
    # remaining fee     = 5,000 x 10 x (14/28 + 9 whole periods) = 25,000 + 450,000 = 475,000
    # penalty           = floor(10% x 500,000) = 50,000
    term_start, term_end = term_bounds(PAID_START, 0)
    return early_termination_penalty(
        segments=[SegmentTerms(unit_price=5_000, list_unit_price=6_000, quantity=10, starts_on=PAID_START)],
        anchor=PAID_START,
        term_start=term_start,
        term_end=term_end,
        cancellation_date=date(2027, 3, 1),
        rate=TEN_PERCENT,
    )


def test_final_invoice_bills_usage_to_the_day_before_plus_the_penalty_and_credit_never_covers_the_penalty():
    penalty = _penalty_on_march_1()
    assert penalty.amount == 50_000

    draft = build_period_invoice(
        segments=[basic_annual(10, PAID_START)],
        period=PERIOD_2,
        members=1,
        vat_rate=TEN_PERCENT,
        credit_available=100_000,
        usage_until=date(2027, 3, 1),
        penalty=penalty,
        is_final=True,
    )

    # usage 02-15 .. 02-28 = 14 of 28 days: 5,000 x 10 x 14/28 = 25,000; credit covers it, not the penalty
    assert amounts(draft) == [("usage", 25_000), ("penalty", 50_000)]
    assert draft.totals == InvoiceTotals(
        subtotal=75_000, credit_applied=25_000, taxable=50_000, vat=5_000, total=55_000, credit_due=0
    )
    assert (draft.period_start, draft.period_end, draft.is_final) == (date(2027, 2, 15), date(2027, 2, 28), True)
    # Facts, not English: pages render the text in the reader's language (InvoiceLine.text).
    penalty_line = draft.lines[1]
    assert penalty_line.description == "2027-03-01 (2026-12-15 – 2027-12-14)"
    assert (penalty_line.cancellation_date, penalty_line.starts_on, penalty_line.ends_on) == (
        date(2027, 3, 1),
        date(2026, 12, 15),
        date(2027, 12, 14),
    )


def test_credit_smaller_than_usage_is_used_up_before_vat():
    draft = build_period_invoice(
        segments=[basic_annual(10, PAID_START)],
        period=PERIOD_1,
        members=1,
        vat_rate=TEN_PERCENT,
        credit_available=30_001,
    )

    # 50,000 - 30,001 = 19,999; VAT 1,999.9 -> 1,999
    assert draft.totals == InvoiceTotals(
        subtotal=50_000, credit_applied=30_001, taxable=19_999, vat=1_999, total=21_998, credit_due=0
    )


def test_a_service_stopping_on_its_period_start_without_penalty_has_nothing_to_bill():
    draft = build_period_invoice(
        segments=[basic_annual(10, PAID_START)],
        period=PERIOD_2,
        members=1,
        vat_rate=TEN_PERCENT,
        usage_until=PERIOD_2.start,
        is_final=True,
    )

    assert draft.is_empty
    assert draft.totals.total == 0


def test_segments_starting_on_or_after_the_usage_end_are_not_billed():
    draft = build_period_invoice(
        segments=[basic_annual(10, PAID_START, date(2027, 2, 20)), premium_annual(10, date(2027, 2, 20))],
        period=PERIOD_2,
        members=1,
        vat_rate=TEN_PERCENT,
        usage_until=date(2027, 2, 20),
    )

    # Basic 02-15 .. 02-19 = 5 of 28 days: 50,000 x 5/28 = 8,928.57 -> 8,928
    assert amounts(draft) == [("usage", 8_928)]


def test_the_builder_refuses_a_usage_end_outside_the_period():
    with pytest.raises(ValueError, match="within the period"):
        build_period_invoice(
            segments=[basic_annual(10, PAID_START)],
            period=PERIOD_2,
            members=1,
            vat_rate=TEN_PERCENT,
            usage_until=date(2027, 3, 20),
        )


# --- issuing under the lock ------------------------------------------------------------------------------------


def test_period_invoice_is_issued_the_day_after_the_period_once():
    subscription = ActiveSubscriptionFactory()

    [first] = issue_due(subscription, kst(2027, 1, 15))
    again = issue_due(subscription, kst(2027, 1, 16))

    assert again == []
    assert Invoice.objects.filter(subscription=subscription).count() == 1
    assert (first.period_start, first.period_end, first.issued_on) == (
        date(2026, 12, 15),
        date(2027, 1, 14),
        date(2027, 1, 15),
    )
    assert (first.subtotal, first.credit_applied, first.vat, first.total) == (50_000, 0, 5_000, 55_000)
    assert list(first.lines.values_list("kind", "unit_price", "quantity", "days", "period_days", "amount")) == [
        ("usage", 5_000, 10, 31, 31, 50_000)
    ]
    subscription.refresh_from_db()
    assert (subscription.next_period_index, subscription.next_invoice_on) == (1, date(2027, 2, 15))


def test_a_period_is_not_invoiced_before_its_end_in_kst():
    subscription = ActiveSubscriptionFactory()

    # 2027-01-14 23:59 KST is still the period's last day (14:59 UTC)
    issued = issue_due(subscription, kst(2027, 1, 14, 23, 59))

    assert issued == []
    assert not Invoice.objects.exists()
    subscription.refresh_from_db()
    assert (subscription.next_period_index, subscription.next_invoice_on) == (0, date(2027, 1, 15))


def test_kst_midnight_decides_the_invoice_day_not_utc():
    subscription = ActiveSubscriptionFactory()

    # 2027-01-14 15:00 UTC = 2027-01-15 00:00 KST
    [invoice] = issue_due(subscription, datetime(2027, 1, 14, 15, 0, tzinfo=UTC))

    assert invoice.issued_on == date(2027, 1, 15)


def test_monthly_invoice_bills_the_members_registered_at_the_close():
    subscription = ActiveSubscriptionFactory(plan_code="lite", contract_type=ContractType.MONTHLY)
    MemberFactory.create_batch(2, workspace=subscription.workspace)

    [invoice] = issue_due(subscription, kst(2027, 1, 15))

    # admin + 2 members = 3 x 3,600 = 10,800; VAT 1,080
    assert list(invoice.lines.values_list("contract_type", "quantity", "amount")) == [("monthly", 3, 10_800)]
    assert (invoice.subtotal, invoice.vat, invoice.total) == (10_800, 1_080, 11_880)


def test_invoice_consumes_credit_once_and_records_it_on_the_ledger():
    subscription = ActiveSubscriptionFactory()
    CreditGrantFactory(customer=subscription.customer, amount=30_000)

    [first] = issue_due(subscription, kst(2027, 1, 15))
    [second] = issue_due(subscription, kst(2027, 2, 15))

    # 50,000 - 30,000 credit = 20,000 + VAT 2,000; the next period finds no credit left
    assert (first.credit_applied, first.vat, first.total) == (30_000, 2_000, 22_000)
    assert (second.credit_applied, second.total) == (0, 55_000)
    assert list(CustomerCredit.objects.filter(invoice=first).values_list("amount", flat=True)) == [-30_000]
    assert CustomerCredit.objects.balance_for(subscription.customer_id) == 0


def test_catching_up_issues_every_ended_period_in_order():
    subscription = ActiveSubscriptionFactory()

    issued = issue_due(subscription, kst(2027, 3, 20))

    assert [(invoice.period_index, invoice.total) for invoice in issued] == [(0, 55_000), (1, 55_000), (2, 55_000)]
    subscription.refresh_from_db()
    assert (subscription.next_period_index, subscription.next_invoice_on) == (3, date(2027, 4, 15))


def test_a_period_with_a_due_cancellation_is_left_to_the_final_invoice():
    subscription = ActiveSubscriptionFactory()
    Reservation.objects.create(
        subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 1, 10)
    )

    issued = issue_due(subscription, kst(2027, 1, 16))

    assert issued == []
    assert not Invoice.objects.exists()


def test_an_insert_refused_by_the_unique_guard_keeps_nothing_of_the_call(monkeypatch):
    raced, other = ActiveSubscriptionFactory(), ActiveSubscriptionFactory()
    [issued] = issue_due(raced, kst(2027, 1, 15))
    # Another writer issued period 0 of `raced` behind the call's back (its read of issued invoices missed it).
    Subscription.objects.filter(pk=raced.pk).update(next_period_index=0, next_invoice_on=date(2027, 1, 15))
    raced.refresh_from_db()
    monkeypatch.setattr(services, "_invoices_from_next_period", lambda subscription_ids: {})

    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            services.invoice_issue_many(
                subscriptions=[other, raced], now=kst(2027, 1, 15), facts=services.BillingFacts()
            )
        # nothing of the call is kept, not even `other`'s invoice (the job then retries the rows one by one)
        assert list(Invoice.objects.values_list("pk", flat=True)) == [issued.pk]

    assert InvoiceLine.objects.count() == 1


# --- credits ---------------------------------------------------------------------------------------------------


def test_operator_grants_credit_with_a_reason():
    customer = UserFactory()
    operator = UserFactory(is_staff=True)

    credit = credit_grant(customer=customer, amount=20_000, reason="  Outage 2026-11-20 ", by=operator)

    assert (credit.amount, credit.reason, credit.granted_by, credit.invoice) == (
        20_000,
        "Outage 2026-11-20",
        operator,
        None,
    )
    assert CustomerCredit.objects.balance_for(customer.pk) == 20_000


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        pytest.param(0, "Goodwill", "amount", id="zero"),
        pytest.param(-5_000, "Goodwill", "amount", id="negative"),
        pytest.param(1_000.5, "Goodwill", "amount", id="float"),
        pytest.param(5_000, "   ", "reason", id="no-reason"),
    ],
)
def test_credit_grant_refuses_bad_input(amount, reason, field):
    customer = UserFactory()

    with pytest.raises(ValidationError) as refused:
        credit_grant(customer=customer, amount=amount, reason=reason, by=None)

    assert list(refused.value.error_dict) == [field]
    assert not CustomerCredit.objects.exists()
