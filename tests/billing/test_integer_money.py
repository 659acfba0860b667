"""Where the hot path computes money in integers, it gives what the exact Fraction gives (issue 17)."""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.pricing import floor_share, invoice_totals, parse_rate

rates = st.fractions(min_value=0, max_value=1, max_denominator=10_000)
amounts = st.integers(min_value=-(10**15), max_value=10**15)


@given(amount=amounts, rate=rates)
def test_floor_share_is_the_floor_of_the_exact_product(amount, rate):
    assert floor_share(amount, rate) == math.floor(rate * amount)


@given(amount=st.integers(min_value=0, max_value=10**15), rate=st.sampled_from(["0.10", "0.1", "0.05", "0", "1"]))
def test_floor_share_at_the_configured_rates(amount, rate):
    exact = parse_rate(rate)
    assert floor_share(amount, exact) == math.floor(exact * amount)


@given(
    usage=st.lists(st.integers(min_value=0, max_value=10**10), max_size=5),
    penalty=st.integers(min_value=0, max_value=10**10),
    adjustments=st.lists(st.integers(min_value=-(10**10), max_value=10**10), max_size=3),
    credit=st.integers(min_value=0, max_value=10**11),
    rate=rates,
)
def test_invoice_vat_is_the_exact_floor(usage, penalty, adjustments, credit, rate):
    """The VAT of invoice_totals, computed in integers, is floor(vat_rate x taxable) of the exact fraction."""
    totals = invoice_totals(
        usage_amounts=usage,
        penalty_amount=penalty,
        adjustment_amounts=adjustments,
        credit_available=credit,
        vat_rate=rate,
    )
    assert totals.vat == math.floor(Fraction(rate) * totals.taxable)
    assert totals.total == totals.taxable + totals.vat


def test_a_rate_out_of_range_is_still_refused():
    for rate in (Fraction(11, 10), Fraction(-1, 10)):
        with pytest.raises(ValueError):
            invoice_totals(
                usage_amounts=[1], penalty_amount=0, adjustment_amounts=[], credit_available=0, vat_rate=rate
            )
