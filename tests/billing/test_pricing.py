"""Money (SPEC 3, 5.6): proration, invoice totals and the early-termination penalty, no database.

Expected values are worked out by hand in the comments, from the seeded catalogue (KRW per user per month):
Lite annual 3,000 / monthly 3,600; Basic 5,000 / 6,000; Premium 10,000 / 12,000.
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.periods import BillingPeriod, period_bounds, term_bounds
from billing.pricing import (
    InvoiceTotals,
    SegmentTerms,
    UsageLine,
    early_termination_penalty,
    invoice_totals,
    parse_rate,
    prorated_amount,
    rest_of_period_charge,
    usage_lines,
)

TEN_PERCENT = Fraction(1, 10)
ANCHOR = date(2026, 1, 15)  # term 0: 2026-01-15 .. 2027-01-14, periods start on the 15th


def lite_annual(quantity: int, starts_on: date, ends_on: date | None = None) -> SegmentTerms:
    return SegmentTerms(
        unit_price=3_000, list_unit_price=3_600, quantity=quantity, starts_on=starts_on, ends_on=ends_on
    )


def basic_annual(quantity: int, starts_on: date, ends_on: date | None = None) -> SegmentTerms:
    return SegmentTerms(
        unit_price=5_000, list_unit_price=6_000, quantity=quantity, starts_on=starts_on, ends_on=ends_on
    )


def premium_annual(quantity: int, starts_on: date, ends_on: date | None = None) -> SegmentTerms:
    return SegmentTerms(
        unit_price=10_000, list_unit_price=12_000, quantity=quantity, starts_on=starts_on, ends_on=ends_on
    )


# --- proration (SPEC 3) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_price", "quantity", "days", "period_days", "expected"),
    [
        pytest.param(5_000, 10, 31, 31, 50_000, id="full-period"),
        pytest.param(5_000, 10, 0, 31, 0, id="no-days"),
        pytest.param(5_000, 10, 14, 28, 25_000, id="half-of-february"),
        # 50,000 x 17 / 31 = 27,419.35 -> 27,419
        pytest.param(5_000, 10, 17, 31, 27_419, id="floor-17-of-31"),
        # 3,600 x 7 x 1 / 30 = 840 exactly
        pytest.param(3_600, 7, 1, 30, 840, id="one-day-exact"),
        # 12,000 x 1 x 1 / 31 = 387.09 -> 387
        pytest.param(12_000, 1, 1, 31, 387, id="one-day-floor"),
        # 3,000 x 1 x 30 / 31 = 2,903.2 -> 2,903 (a float would risk 2,903.2258... fine, the point is exactness)
        pytest.param(3_000, 1, 30, 31, 2_903, id="thirty-of-31"),
        # 10,000 x 3 x 28 / 29 = 28,965.5 -> 28,965
        pytest.param(10_000, 3, 28, 29, 28_965, id="leap-february"),
    ],
)
def test_prorated_amount_floors_to_one_won(unit_price: int, quantity: int, days: int, period_days: int, expected: int):
    assert prorated_amount(unit_price, quantity, days, period_days) == expected


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param((5_000.0, 10, 1, 31), TypeError, id="float-price"),
        pytest.param((5_000, 10, 32, 31), ValueError, id="more-days-than-the-period"),
        pytest.param((5_000, 10, 1, 0), ValueError, id="empty-period"),
        pytest.param((-5_000, 10, 1, 31), ValueError, id="negative-price"),
    ],
)
def test_prorated_amount_refuses_bad_input(arguments: tuple, error: type[Exception]):
    with pytest.raises(error):
        prorated_amount(*arguments)


def test_segment_terms_refuse_a_float_price():
    with pytest.raises(TypeError, match="unit_price"):
        SegmentTerms(unit_price=5_000.5, list_unit_price=6_000, quantity=1, starts_on=ANCHOR)


def test_segment_terms_refuse_an_end_before_the_start():
    with pytest.raises(ValueError, match="before it starts"):
        SegmentTerms(unit_price=5_000, list_unit_price=6_000, quantity=1, starts_on=ANCHOR, ends_on=date(2026, 1, 14))


FEBRUARY_2026 = BillingPeriod(index=1, start=date(2026, 2, 15), end=date(2026, 3, 14))  # 28 days
MARCH_2026 = BillingPeriod(index=2, start=date(2026, 3, 15), end=date(2026, 4, 14))  # 31 days


@pytest.mark.parametrize(
    ("segments", "period", "expected"),
    [
        pytest.param(
            # Basic annual 10 licences all period: 5,000 x 10 = 50,000
            [basic_annual(10, ANCHOR)],
            MARCH_2026,
            [UsageLine(segment_index=0, unit_price=5_000, quantity=10, days=31, period_days=31, amount=50_000)],
            id="single-segment-full-period",
        ),
        pytest.param(
            # Upgrade to Premium on 2026-03-01 in a 28-day period: Feb 15..28 = 14 days Basic, Mar 1..14 = 14 Premium
            # Basic 50,000 x 14/28 = 25,000; Premium 100,000 x 14/28 = 50,000
            [basic_annual(10, ANCHOR, date(2026, 3, 1)), premium_annual(10, date(2026, 3, 1))],
            FEBRUARY_2026,
            [
                UsageLine(segment_index=0, unit_price=5_000, quantity=10, days=14, period_days=28, amount=25_000),
                UsageLine(segment_index=1, unit_price=10_000, quantity=10, days=14, period_days=28, amount=50_000),
            ],
            id="upgrade-mid-february-period",
        ),
        pytest.param(
            # Upgrade on 2026-04-01 in a 31-day period: Mar 15..31 = 17 days Basic, Apr 1..14 = 14 days Premium
            # Basic 50,000 x 17/31 = 27,419.35 -> 27,419; Premium 100,000 x 14/31 = 45,161.29 -> 45,161
            [basic_annual(10, ANCHOR, date(2026, 4, 1)), premium_annual(10, date(2026, 4, 1))],
            MARCH_2026,
            [
                UsageLine(segment_index=0, unit_price=5_000, quantity=10, days=17, period_days=31, amount=27_419),
                UsageLine(segment_index=1, unit_price=10_000, quantity=10, days=14, period_days=31, amount=45_161),
            ],
            id="upgrade-mid-march-period-rounds-each-line",
        ),
        pytest.param(
            # The upgrade segment started in the previous period: only the Premium segment overlaps March
            [basic_annual(10, ANCHOR, date(2026, 3, 1)), premium_annual(10, date(2026, 3, 1))],
            MARCH_2026,
            [UsageLine(segment_index=1, unit_price=10_000, quantity=10, days=31, period_days=31, amount=100_000)],
            id="segment-ended-before-the-period-gives-no-line",
        ),
        pytest.param(
            # Final invoice, cancelled 2026-03-20: usage Mar 15..19 = 5 days, 50,000 x 5/31 = 8,064.5 -> 8,064
            [basic_annual(10, ANCHOR, date(2026, 3, 20))],
            MARCH_2026,
            [UsageLine(segment_index=0, unit_price=5_000, quantity=10, days=5, period_days=31, amount=8_064)],
            id="final-invoice-segment-closed-at-cancellation",
        ),
        pytest.param(
            # Monthly Lite, 7 members at the close: 3,600 x 7 = 25,200
            [SegmentTerms(unit_price=3_600, list_unit_price=None, quantity=7, starts_on=ANCHOR)],
            MARCH_2026,
            [UsageLine(segment_index=0, unit_price=3_600, quantity=7, days=31, period_days=31, amount=25_200)],
            id="monthly-segment",
        ),
        pytest.param(
            # Licences 10 -> 12 on 2026-03-08 in February's period (28 days): Feb 15..Mar 7 = 21 days, Mar 8..14 = 7
            # 50,000 x 21/28 = 37,500; 60,000 x 7/28 = 15,000
            [basic_annual(10, ANCHOR, date(2026, 3, 8)), basic_annual(12, date(2026, 3, 8))],
            FEBRUARY_2026,
            [
                UsageLine(segment_index=0, unit_price=5_000, quantity=10, days=21, period_days=28, amount=37_500),
                UsageLine(segment_index=1, unit_price=5_000, quantity=12, days=7, period_days=28, amount=15_000),
            ],
            id="licence-increase-mid-period",
        ),
        pytest.param(
            # Paid start on the anchor: nothing to bill in a period that precedes the segment
            [basic_annual(10, date(2026, 4, 1))],
            FEBRUARY_2026,
            [],
            id="segment-after-the-period",
        ),
    ],
)
def test_usage_lines(segments: list[SegmentTerms], period: BillingPeriod, expected: list[UsageLine]):
    assert usage_lines(segments, period) == expected


# --- an upgrade's charge for the rest of the period (SPEC 5.4, issue 20) ------------------------------------------


@pytest.mark.parametrize(
    ("unit_price", "quantity", "starts_on", "period", "expected"),
    [
        pytest.param(
            # Premium annual 10 licences from 2026-03-01 to 03-14: 100,000 x 14/28 = 50,000 (the invoice's line above)
            10_000, 10, date(2026, 3, 1), FEBRUARY_2026,
            UsageLine(segment_index=0, unit_price=10_000, quantity=10, days=14, period_days=28, amount=50_000),
            id="mid-february",
        ),
        pytest.param(
            # 100,000 x 14/31 = 45,161.29 -> 45,161
            10_000, 10, date(2026, 4, 1), MARCH_2026,
            UsageLine(segment_index=0, unit_price=10_000, quantity=10, days=14, period_days=31, amount=45_161),
            id="floored-once",
        ),
        pytest.param(
            # the first day: the whole period
            12_000, 3, date(2026, 3, 15), MARCH_2026,
            UsageLine(segment_index=0, unit_price=12_000, quantity=3, days=31, period_days=31, amount=36_000),
            id="whole-period",
        ),
        pytest.param(
            # the last day: one day, 12,000 x 3 x 1/31 = 1,161.29 -> 1,161
            12_000, 3, date(2026, 4, 14), MARCH_2026,
            UsageLine(segment_index=0, unit_price=12_000, quantity=3, days=1, period_days=31, amount=1_161),
            id="last-day",
        ),
    ],
)  # fmt: skip
def test_rest_of_period_charge(unit_price, quantity, starts_on, period, expected):
    assert (
        rest_of_period_charge(unit_price=unit_price, quantity=quantity, starts_on=starts_on, period=period) == expected
    )


@pytest.mark.parametrize("starts_on", [date(2026, 3, 14), date(2026, 4, 15)], ids=["before", "after"])
def test_rest_of_period_charge_refuses_a_day_outside_the_period(starts_on):
    with pytest.raises(ValueError, match="is not within the period"):
        rest_of_period_charge(unit_price=10_000, quantity=1, starts_on=starts_on, period=MARCH_2026)


# --- invoice totals: credits then VAT (SPEC 3) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "penalty", "adjustments", "credit", "expected"),
    [
        pytest.param(
            # 50,000; VAT 5,000
            [50_000], 0, [], 0,
            InvoiceTotals(subtotal=50_000, credit_applied=0, taxable=50_000, vat=5_000, total=55_000, credit_due=0),
            id="no-credit",
        ),
        pytest.param(
            # VAT 10% of 12,345 = 1,234.5 -> 1,234
            [12_345], 0, [], 0,
            InvoiceTotals(subtotal=12_345, credit_applied=0, taxable=12_345, vat=1_234, total=13_579, credit_due=0),
            id="vat-floor",
        ),
        pytest.param(
            # Two prorated lines 27,419 + 45,161 = 72,580; VAT 7,258
            [27_419, 45_161], 0, [], 0,
            InvoiceTotals(subtotal=72_580, credit_applied=0, taxable=72_580, vat=7_258, total=79_838, credit_due=0),
            id="two-usage-lines",
        ),
        pytest.param(
            # Credit 3,000 of 10,001: taxable 7,001, VAT 700.1 -> 700
            [10_001], 0, [], 3_000,
            InvoiceTotals(subtotal=10_001, credit_applied=3_000, taxable=7_001, vat=700, total=7_701, credit_due=0),
            id="partial-credit-then-vat-floor",
        ),
        pytest.param(
            # Credit 25,000 > usage 10,000: only 10,000 consumed, nothing to pay
            [10_000], 0, [], 25_000,
            InvoiceTotals(subtotal=10_000, credit_applied=10_000, taxable=0, vat=0, total=0, credit_due=0),
            id="credit-larger-than-usage",
        ),
        pytest.param(
            # Credit covers the 10,000 usage but never the 6,000 penalty: taxable 6,000, VAT 600
            [10_000], 6_000, [], 25_000,
            InvoiceTotals(subtotal=16_000, credit_applied=10_000, taxable=6_000, vat=600, total=6_600, credit_due=0),
            id="penalty-not-covered-by-credit",
        ),
        pytest.param(
            # Final invoice with no usage left: the 12,129 penalty is paid in full, VAT 1,212.9 -> 1,212
            [], 12_129, [], 100_000,
            InvoiceTotals(subtotal=12_129, credit_applied=0, taxable=12_129, vat=1_212, total=13_341, credit_due=0),
            id="penalty-only-ignores-credit",
        ),
        pytest.param(
            # A +2,000 adjustment is not a usage line: credit stops at the 10,000 usage
            [10_000], 0, [2_000], 50_000,
            InvoiceTotals(subtotal=12_000, credit_applied=10_000, taxable=2_000, vat=200, total=2_200, credit_due=0),
            id="positive-adjustment-not-covered-by-credit",
        ),
        pytest.param(
            # 10,000 - 4,000 = 6,000 owed; credit consumes 6,000, not the whole 10,000
            [10_000], 0, [-4_000], 25_000,
            InvoiceTotals(subtotal=6_000, credit_applied=6_000, taxable=0, vat=0, total=0, credit_due=0),
            id="negative-adjustment-limits-credit",
        ),
        pytest.param(
            # 1,000 - 5,000 = -4,000: nothing to pay, 4,000 owed back to the customer
            [1_000], 0, [-5_000], 0,
            InvoiceTotals(subtotal=-4_000, credit_applied=0, taxable=0, vat=0, total=0, credit_due=4_000),
            id="adjustment-larger-than-charges",
        ),
        pytest.param(
            # Operator waives the 5,000 penalty with -5,000: the 10,000 usage is then fully credited
            [10_000], 5_000, [-5_000], 50_000,
            InvoiceTotals(subtotal=10_000, credit_applied=10_000, taxable=0, vat=0, total=0, credit_due=0),
            id="penalty-waived-by-adjustment",
        ),
        pytest.param(
            # Nothing at all
            [], 0, [], 5_000,
            InvoiceTotals(subtotal=0, credit_applied=0, taxable=0, vat=0, total=0, credit_due=0),
            id="empty-invoice-keeps-credit",
        ),
    ],
)  # fmt: skip
def test_invoice_totals(usage: list[int], penalty: int, adjustments: list[int], credit: int, expected: InvoiceTotals):
    totals = invoice_totals(
        usage_amounts=usage,
        penalty_amount=penalty,
        adjustment_amounts=adjustments,
        credit_available=credit,
        vat_rate=TEN_PERCENT,
    )

    assert totals == expected


def test_invoice_totals_refuse_a_float_rate():
    with pytest.raises(TypeError, match="vat_rate"):
        invoice_totals(
            usage_amounts=[1_000], penalty_amount=0, adjustment_amounts=[], credit_available=0, vat_rate=0.1
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0.10", Fraction(1, 10), id="setting-string"),
        pytest.param(" 0.1 ", Fraction(1, 10), id="whitespace"),
        pytest.param("0", Fraction(0), id="zero"),
        pytest.param("1", Fraction(1), id="one"),
        pytest.param("0.0825", Fraction(33, 400), id="four-decimals"),
        pytest.param(Decimal("0.10"), Fraction(1, 10), id="decimal"),
        pytest.param(Fraction(1, 10), Fraction(1, 10), id="fraction"),
    ],
)
def test_parse_rate(value: str | Decimal | Fraction, expected: Fraction):
    assert parse_rate(value) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(0.1, TypeError, id="float"),
        pytest.param("ten percent", ValueError, id="words"),
        pytest.param("1.5", ValueError, id="above-one"),
        pytest.param("-0.1", ValueError, id="negative"),
        pytest.param(Decimal("NaN"), ValueError, id="nan"),
        pytest.param("", ValueError, id="empty"),
    ],
)
def test_parse_rate_refuses(value: object, error: type[Exception]):
    with pytest.raises(error):
        parse_rate(value)


# --- early-termination penalty (SPEC 5.6) ----------------------------------------------------------------------
#
# Basic annual, 10 licences, anchor 2026-01-15: term 0 runs 2026-01-15 .. 2027-01-14 in 12 periods
#   P0 Jan 15-Feb 14 (31)  P1 Feb 15-Mar 14 (28)  P2 Mar 15-Apr 14 (31)  P3 Apr 15-May 14 (30)
#   P4 May 15-Jun 14 (31)  P5 Jun 15-Jul 14 (30)  P6 Jul 15-Aug 14 (31)  P7 Aug 15-Sep 14 (31)
#   P8 Sep 15-Oct 14 (30)  P9 Oct 15-Nov 14 (31)  P10 Nov 15-Dec 14 (30) P11 Dec 15-Jan 14 (31)
# per full period: discount (6,000 - 5,000) x 10 = 10,000; remaining fee 5,000 x 10 = 50,000.

BASIC_TEN = [basic_annual(10, ANCHOR)]
TERM_0 = (date(2026, 1, 15), date(2027, 1, 14))


@pytest.mark.parametrize(
    ("segments", "anchor", "term", "cancellation_date", "discount_received", "remaining_fee", "amount"),
    [
        pytest.param(
            # nothing used: remaining 12 x 50,000 = 600,000; 10% = 60,000
            BASIC_TEN, ANCHOR, TERM_0, date(2026, 1, 15), 0, 600_000, 60_000,
            id="cancelled-on-term-start",
        ),
        pytest.param(
            # P0 31 days: 1 day before -> discount 10,000 x 1/31 = 322.58; remaining 50,000 x 30/31 + 11 x 50,000
            # sum = 550,000 + (10,000 + 1,500,000)/31 = 550,000 + 48,709.68 = 598,709.68; 10% -> 59,870.97 -> 59,870
            BASIC_TEN, ANCHOR, TERM_0, date(2026, 1, 16), 322, 598_387, 59_870,
            id="cancelled-on-second-day",
        ),
        pytest.param(
            # P1 has 28 days: Feb 15..28 before (14), Mar 1..14 from (14)
            # discount 10,000 + 10,000 x 14/28 = 15,000; remaining 50,000 x 14/28 + 10 x 50,000 = 525,000
            # 10% x 540,000 = 54,000
            BASIC_TEN, ANCHOR, TERM_0, date(2026, 3, 1), 15_000, 525_000, 54_000,
            id="cancelled-mid-february-period",
        ),
        pytest.param(
            # P2 has 31 days: Mar 15..31 before (17), Apr 1..14 from (14)
            # discount 2 x 10,000 + 10,000 x 17/31 = 25,483.87; remaining 50,000 x 14/31 + 9 x 50,000 = 472,580.65
            # sum = 470,000 + 870,000/31 = 498,064.52; 10% = 49,806.45 -> 49,806
            BASIC_TEN, ANCHOR, TERM_0, date(2026, 4, 1), 25_483, 472_580, 49_806,
            id="cancelled-mid-31-day-period",
        ),
        pytest.param(
            # on the start of P6: discount 6 x 10,000 = 60,000; remaining 6 x 50,000 = 300,000; 10% = 36,000
            BASIC_TEN, ANCHOR, TERM_0, date(2026, 7, 15), 60_000, 300_000, 36_000,
            id="cancelled-on-a-period-start",
        ),
        pytest.param(
            # last day of the term, P11 (31 days): 30 days before, 1 day from
            # discount 11 x 10,000 + 10,000 x 30/31 = 119,677.42; remaining 50,000 x 1/31 = 1,612.90
            # sum = 110,000 + 350,000/31 = 121,290.32; 10% = 12,129.03 -> 12,129
            BASIC_TEN, ANCHOR, TERM_0, date(2027, 1, 14), 119_677, 1_612, 12_129,
            id="cancelled-on-the-last-day",
        ),
        pytest.param(
            # the day after the contract end is the penalty-free date
            BASIC_TEN, ANCHOR, TERM_0, date(2027, 1, 15), 0, 0, 0,
            id="cancelled-the-day-after-term-end",
        ),
        pytest.param(
            BASIC_TEN, ANCHOR, TERM_0, date(2027, 6, 1), 0, 0, 0,
            id="cancelled-long-after-term-end",
        ),
        pytest.param(
            # Upgrade Basic -> Premium (10,000 / 12,000) on 2026-03-01, cancelled 2026-06-01
            # discount: P0 Basic 10,000; P1 Basic 10,000 x 14/28 = 5,000 and Premium 20,000 x 14/28 = 10,000;
            #   P2, P3 Premium 2 x 20,000 = 40,000; P4 (31 days, May 15..31 = 17 before) 20,000 x 17/31
            #   = 65,000 + 340,000/31 = 75,967.74
            # remaining: P4 Jun 1..14 = 14 days 100,000 x 14/31; P5..P11 7 x 100,000 = 745,161.29
            # sum = 765,000 + 1,740,000/31 = 821,129.03; 10% = 82,112.90 -> 82,112
            [basic_annual(10, ANCHOR, date(2026, 3, 1)), premium_annual(10, date(2026, 3, 1))],
            ANCHOR, TERM_0, date(2026, 6, 1), 75_967, 745_161, 82_112,
            id="upgrade-segment-mid-term",
        ),
        pytest.param(
            # Licences 10 -> 15 from 2026-02-15 (P1 start), cancelled that same day
            # discount P0 10,000; remaining 11 x 5,000 x 15 = 825,000; 10% x 835,000 = 83,500
            [basic_annual(10, ANCHOR, date(2026, 2, 15)), basic_annual(15, date(2026, 2, 15))],
            ANCHOR, TERM_0, date(2026, 2, 15), 10_000, 825_000, 83_500,
            id="licence-increase-mid-term",
        ),
        pytest.param(
            # Month-end anchor: Lite 5 licences from 2026-01-31, term 2026-01-31 .. 2027-01-30
            # P0 Jan 31-Feb 27 (28), P1 Feb 28-Mar 30 (31); per period discount 600 x 5 = 3,000, fee 15,000
            # on P1 start: discount 3,000; remaining 11 x 15,000 = 165,000; 10% x 168,000 = 16,800
            [lite_annual(5, date(2026, 1, 31))],
            date(2026, 1, 31), (date(2026, 1, 31), date(2027, 1, 30)), date(2026, 2, 28), 3_000, 165_000, 16_800,
            id="anchor-jan-31-on-clamped-period-start",
        ),
        pytest.param(
            # Same, cancelled 2026-03-15: P1 (31 days) Feb 28..Mar 14 before (15), Mar 15..30 from (16)
            # discount 3,000 + 3,000 x 15/31 = 4,451.61; remaining 15,000 x 16/31 + 10 x 15,000 = 157,741.94
            # sum = 153,000 + 285,000/31 = 162,193.55; 10% = 16,219.35 -> 16,219
            [lite_annual(5, date(2026, 1, 31))],
            date(2026, 1, 31), (date(2026, 1, 31), date(2027, 1, 30)), date(2026, 3, 15), 4_451, 157_741, 16_219,
            id="anchor-jan-31-mid-period",
        ),
        pytest.param(
            # Leap-day anchor: Premium 3 licences from 2028-02-29, term 2028-02-29 .. 2029-02-27
            # P11 runs 2029-01-29 .. 2029-02-27 (30 days); cancelled on its last day: 29 before, 1 from
            # discount 11 x 6,000 + 6,000 x 29/30 = 71,800; remaining 30,000 x 1/30 = 1,000; 10% x 72,800 = 7,280
            [premium_annual(3, date(2028, 2, 29))],
            date(2028, 2, 29), (date(2028, 2, 29), date(2029, 2, 27)), date(2029, 2, 27), 71_800, 1_000, 7_280,
            id="anchor-feb-29-last-day",
        ),
        pytest.param(
            # Second term 2027-01-15 .. 2028-01-14: the first term's discount does not count.
            # P12 Jan 15-Feb 14 2027 (31) full discount 10,000; P13 Feb 15-Mar 14 2027 (28): Feb 15..19 before (5)
            # discount 10,000 + 10,000 x 5/28 = 11,785.71; remaining 50,000 x 23/28 + 10 x 50,000 = 541,071.43
            # sum = 510,000 + 1,200,000/28 = 552,857.14; 10% = 55,285.71 -> 55,285
            BASIC_TEN, ANCHOR, (date(2027, 1, 15), date(2028, 1, 14)), date(2027, 2, 20), 11_785, 541_071, 55_285,
            id="second-term",
        ),
        pytest.param(
            # Monthly for P0..P2, then an annual term over P3..P14 (2026-04-15 .. 2027-04-14); the monthly
            # segment lies outside the term and does not count. Cancelled on P4 start (2026-05-15):
            # discount P3 10,000; remaining 11 x 50,000 = 550,000; 10% x 560,000 = 56,000
            [
                SegmentTerms(
                    unit_price=6_000, list_unit_price=None, quantity=10, starts_on=ANCHOR, ends_on=date(2026, 4, 15)
                ),
                basic_annual(10, date(2026, 4, 15)),
            ],
            ANCHOR, (date(2026, 4, 15), date(2027, 4, 14)), date(2026, 5, 15), 10_000, 550_000, 56_000,
            id="annual-term-after-monthly-periods",
        ),
        pytest.param(
            # Rounded down once: Lite 1 licence cancelled 2026-01-19 (P0, 31 days: 4 before, 27 from)
            # discount 600 x 4/31 = 77.42; remaining 3,000 x 27/31 + 11 x 3,000 = 35,612.90
            # exact sum = 1,106,400/31 = 35,690.32 -> 10% = 3,569.03 -> 3,569
            # (flooring the parts first would give floor(10% x (77 + 35,612)) = 3,568: wrong)
            [lite_annual(1, ANCHOR)],
            ANCHOR, TERM_0, date(2026, 1, 19), 77, 35_612, 3_569,
            id="floored-once-at-the-end",
        ),
    ],
)  # fmt: skip
def test_early_termination_penalty(
    segments: list[SegmentTerms],
    anchor: date,
    term: tuple[date, date],
    cancellation_date: date,
    discount_received: int,
    remaining_fee: int,
    amount: int,
):
    term_start, term_end = term

    breakdown = early_termination_penalty(
        segments=segments,
        anchor=anchor,
        term_start=term_start,
        term_end=term_end,
        cancellation_date=cancellation_date,
        rate=TEN_PERCENT,
    )

    assert (breakdown.discount_received, breakdown.remaining_fee, breakdown.amount) == (
        discount_received,
        remaining_fee,
        amount,
    )


def test_penalty_keeps_exact_parts_and_items_for_the_popup():
    # Upgrade case above: P0 Basic, P1 Basic + Premium, P2..P11 Premium = 13 items
    breakdown = early_termination_penalty(
        segments=[basic_annual(10, ANCHOR, date(2026, 3, 1)), premium_annual(10, date(2026, 3, 1))],
        anchor=ANCHOR,
        term_start=TERM_0[0],
        term_end=TERM_0[1],
        cancellation_date=date(2026, 6, 1),
        rate=TEN_PERCENT,
    )

    assert breakdown.discount_received_exact == 65_000 + Fraction(340_000, 31)
    assert breakdown.remaining_fee_exact == 700_000 + Fraction(1_400_000, 31)
    assert len(breakdown.items) == 13
    assert [
        (item.period_index, item.segment_index, item.days_before, item.days_remaining) for item in breakdown.items[:5]
    ] == [
        (0, 0, 31, 0),
        (1, 0, 14, 0),
        (1, 1, 14, 0),
        (2, 1, 31, 0),
        (3, 1, 30, 0),
    ]
    assert breakdown.items[5].discount_received == Fraction(340_000, 31)  # P4 Premium, 17 of 31 days
    assert breakdown.items[5].remaining_fee == Fraction(1_400_000, 31)  # P4 Premium, 14 of 31 days
    assert breakdown.penalty_free_date == date(2027, 1, 15)


def test_penalty_uses_the_configured_rate():
    # 20% of 600,000 = 120,000
    breakdown = early_termination_penalty(
        segments=BASIC_TEN,
        anchor=ANCHOR,
        term_start=TERM_0[0],
        term_end=TERM_0[1],
        cancellation_date=ANCHOR,
        rate=parse_rate("0.20"),
    )

    assert breakdown.amount == 120_000


def test_penalty_is_zero_at_a_zero_rate():
    breakdown = early_termination_penalty(
        segments=BASIC_TEN,
        anchor=ANCHOR,
        term_start=TERM_0[0],
        term_end=TERM_0[1],
        cancellation_date=ANCHOR,
        rate=Fraction(0),
    )

    assert breakdown.amount == 0


def test_penalty_never_counts_a_negative_discount():
    # A monthly price recorded below the annual one is no discount: only the remaining fee counts.
    # Cancelled on P6 start: remaining 6 x 50,000 = 300,000; 10% = 30,000
    segments = [SegmentTerms(unit_price=5_000, list_unit_price=4_000, quantity=10, starts_on=ANCHOR)]

    breakdown = early_termination_penalty(
        segments=segments,
        anchor=ANCHOR,
        term_start=TERM_0[0],
        term_end=TERM_0[1],
        cancellation_date=date(2026, 7, 15),
        rate=TEN_PERCENT,
    )

    assert (breakdown.discount_received, breakdown.amount) == (0, 30_000)


@pytest.mark.parametrize(
    ("segments", "term_start", "cancellation_date", "message"),
    [
        pytest.param(BASIC_TEN, TERM_0[0], date(2026, 1, 14), "before the term start", id="before-term-start"),
        pytest.param(
            BASIC_TEN, date(2026, 1, 1), date(2026, 2, 1), "before the billing anchor", id="term-before-anchor"
        ),
        pytest.param(BASIC_TEN, date(2026, 1, 20), date(2026, 2, 1), "period boundaries", id="term-starts-mid-period"),
        pytest.param(
            [SegmentTerms(unit_price=6_000, list_unit_price=None, quantity=10, starts_on=ANCHOR)],
            TERM_0[0],
            date(2026, 2, 1),
            "list\\) unit price",
            id="monthly-segment",
        ),
    ],
)
def test_penalty_refuses_inconsistent_input(
    segments: list[SegmentTerms], term_start: date, cancellation_date: date, message: str
):
    with pytest.raises(ValueError, match=message):
        early_termination_penalty(
            segments=segments,
            anchor=ANCHOR,
            term_start=term_start,
            term_end=TERM_0[1],
            cancellation_date=cancellation_date,
            rate=TEN_PERCENT,
        )


# --- properties ------------------------------------------------------------------------------------------------

anchors = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
unit_prices = st.integers(min_value=0, max_value=50_000)
quantities = st.integers(min_value=0, max_value=10_000)


@st.composite
def period_partitions(draw: st.DrawFn) -> tuple[BillingPeriod, list[date]]:
    """A billing period and the sorted, distinct inner days where a new segment starts."""
    period = period_bounds(draw(anchors), draw(st.integers(min_value=0, max_value=240)))
    offsets = draw(st.sets(st.integers(min_value=1, max_value=period.days - 1), max_size=5))
    return period, [period.start + timedelta(days=offset) for offset in sorted(offsets)]


def partition_segments(period: BillingPeriod, cuts: list[date], prices: list[tuple[int, int]]) -> list[SegmentTerms]:
    bounds = [period.start, *cuts, period.next_start]
    return [
        SegmentTerms(unit_price=price, list_unit_price=None, quantity=quantity, starts_on=start, ends_on=end)
        for (start, end), (price, quantity) in zip(pairwise(bounds), prices, strict=True)
    ]


@given(partition=period_partitions(), unit_price=unit_prices, quantity=quantities)
def test_lines_of_a_partitioned_period_add_up_to_the_full_price(
    partition: tuple[BillingPeriod, list[date]], unit_price: int, quantity: int
):
    period, cuts = partition
    segments = partition_segments(period, cuts, [(unit_price, quantity)] * (len(cuts) + 1))

    lines = usage_lines(segments, period)

    full_price = unit_price * quantity
    assert sum(line.days for line in lines) == period.days
    assert 0 <= full_price - sum(line.amount for line in lines) < len(lines)


@given(partition=period_partitions(), data=st.data())
def test_lines_with_different_prices_lose_less_than_one_won_each(
    partition: tuple[BillingPeriod, list[date]], data: st.DataObject
):
    period, cuts = partition
    prices = data.draw(st.lists(st.tuples(unit_prices, quantities), min_size=len(cuts) + 1, max_size=len(cuts) + 1))
    segments = partition_segments(period, cuts, prices)

    lines = usage_lines(segments, period)

    exact = sum(Fraction(line.unit_price * line.quantity * line.days, period.days) for line in lines)
    assert 0 <= exact - sum(line.amount for line in lines) < len(lines)


@st.composite
def annual_contracts(draw: st.DrawFn) -> tuple[date, date, date, list[SegmentTerms]]:
    """An anchor, one term of it, and 1-3 annual segments partitioning the term from its start."""
    anchor = draw(anchors)
    term_start, term_end = term_bounds(anchor, draw(st.integers(min_value=0, max_value=5)))
    term_days = (term_end - term_start).days + 1
    offsets = sorted(draw(st.sets(st.integers(min_value=1, max_value=term_days - 1), max_size=2)))
    bounds = [term_start, *(term_start + timedelta(days=offset) for offset in offsets), None]
    segments = [
        SegmentTerms(
            unit_price=draw(unit_prices),
            list_unit_price=draw(unit_prices),
            quantity=draw(st.integers(min_value=0, max_value=1_000)),
            starts_on=start,
            ends_on=end,
        )
        for start, end in pairwise(bounds)
    ]
    return anchor, term_start, term_end, segments


@given(contract=annual_contracts(), days_after=st.integers(min_value=1, max_value=2_000))
def test_penalty_is_zero_after_the_term_end(contract: tuple[date, date, date, list[SegmentTerms]], days_after: int):
    anchor, term_start, term_end, segments = contract

    breakdown = early_termination_penalty(
        segments=segments,
        anchor=anchor,
        term_start=term_start,
        term_end=term_end,
        cancellation_date=term_end + timedelta(days=days_after),
        rate=TEN_PERCENT,
    )

    assert breakdown.amount == 0


@given(contract=annual_contracts(), data=st.data())
def test_penalty_is_never_negative_nor_above_a_year_at_list_price(
    contract: tuple[date, date, date, list[SegmentTerms]], data: st.DataObject
):
    anchor, term_start, term_end, segments = contract
    cancellation_date = data.draw(st.dates(min_value=term_start, max_value=term_end))

    breakdown = early_termination_penalty(
        segments=segments,
        anchor=anchor,
        term_start=term_start,
        term_end=term_end,
        cancellation_date=cancellation_date,
        rate=TEN_PERCENT,
    )

    # every day contributes either its discount or its fee, each at most max(list, unit) x quantity a month
    ceiling = sum(12 * max(s.unit_price, s.list_unit_price) * s.quantity for s in segments) // 10
    assert 0 <= breakdown.amount <= ceiling


@given(
    anchor=anchors,
    term_index=st.integers(min_value=0, max_value=5),
    unit_price=st.integers(min_value=1, max_value=50_000),
    quantity=st.integers(min_value=1, max_value=1_000),
)
def test_penalty_on_the_term_start_is_a_tenth_of_the_year(
    anchor: date, term_index: int, unit_price: int, quantity: int
):
    term_start, term_end = term_bounds(anchor, term_index)
    segments = [
        SegmentTerms(unit_price=unit_price, list_unit_price=unit_price * 6 // 5, quantity=quantity, starts_on=anchor)
    ]

    breakdown = early_termination_penalty(
        segments=segments,
        anchor=anchor,
        term_start=term_start,
        term_end=term_end,
        cancellation_date=term_start,
        rate=TEN_PERCENT,
    )

    assert breakdown.amount == 12 * unit_price * quantity // 10


@given(contract=annual_contracts(), data=st.data())
def test_penalty_does_not_grow_as_the_cancellation_date_moves_later(
    contract: tuple[date, date, date, list[SegmentTerms]], data: st.DataObject
):
    anchor, term_start, term_end, segments = contract
    # each day moved from "remaining" to "discount received" costs less when the discount is below the fee
    assume(all(s.list_unit_price - s.unit_price <= s.unit_price for s in segments))
    cancellation_date = data.draw(st.dates(min_value=term_start, max_value=term_end))

    def penalty_on(day: date) -> int:
        return early_termination_penalty(
            segments=segments,
            anchor=anchor,
            term_start=term_start,
            term_end=term_end,
            cancellation_date=day,
            rate=TEN_PERCENT,
        ).amount

    assert penalty_on(cancellation_date) >= penalty_on(cancellation_date + timedelta(days=1))


@given(
    usage=st.lists(st.integers(min_value=0, max_value=10_000_000), max_size=5),
    penalty=st.integers(min_value=0, max_value=10_000_000),
    adjustments=st.lists(st.integers(min_value=0, max_value=1_000_000), max_size=3),
    credit=st.integers(min_value=0, max_value=50_000_000),
)
def test_credit_settles_usage_only(usage: list[int], penalty: int, adjustments: list[int], credit: int):
    totals = invoice_totals(
        usage_amounts=usage,
        penalty_amount=penalty,
        adjustment_amounts=adjustments,
        credit_available=credit,
        vat_rate=TEN_PERCENT,
    )

    assert totals.credit_applied == min(credit, sum(usage))
    assert totals.taxable >= penalty + sum(adjustments)
    assert totals.total == totals.taxable + totals.taxable // 10
