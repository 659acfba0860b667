"""Billing-period calendar (SPEC 3): pure date arithmetic, no database."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.periods import (
    BillingPeriod,
    days_between,
    overlap_days,
    period_bounds,
    period_containing,
    period_start,
    periods_covering,
    term_bounds,
    term_containing,
    term_index_containing,
)


def clamped_month_start(anchor: date, k: int) -> date:
    """Test oracle for SPEC 3, written with the calendar module rather than relativedelta."""
    month_number = anchor.month - 1 + k
    year, month = anchor.year + month_number // 12, month_number % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


@pytest.mark.parametrize(
    ("anchor", "k", "expected"),
    [
        pytest.param(date(2026, 1, 15), 0, date(2026, 1, 15), id="anchor-mid-month-k0"),
        pytest.param(date(2026, 1, 15), 1, date(2026, 2, 15), id="anchor-mid-month-k1"),
        pytest.param(date(2026, 1, 15), 12, date(2027, 1, 15), id="anchor-mid-month-next-year"),
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="anchor-jan-31-feb-non-leap"),
        pytest.param(date(2026, 1, 31), 2, date(2026, 3, 31), id="anchor-jan-31-back-to-31-not-chained"),
        pytest.param(date(2026, 1, 31), 3, date(2026, 4, 30), id="anchor-jan-31-apr-30"),
        pytest.param(date(2026, 1, 31), 13, date(2027, 2, 28), id="anchor-jan-31-feb-next-year"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="anchor-jan-31-leap-2024"),
        pytest.param(date(2028, 1, 31), 1, date(2028, 2, 29), id="anchor-jan-31-leap-2028"),
        pytest.param(date(2026, 1, 30), 1, date(2026, 2, 28), id="anchor-jan-30-feb"),
        pytest.param(date(2026, 1, 30), 2, date(2026, 3, 30), id="anchor-jan-30-mar"),
        pytest.param(date(2026, 1, 29), 1, date(2026, 2, 28), id="anchor-jan-29-non-leap"),
        pytest.param(date(2028, 1, 29), 1, date(2028, 2, 29), id="anchor-jan-29-leap-2028"),
        pytest.param(date(2026, 1, 28), 1, date(2026, 2, 28), id="anchor-jan-28-exists-every-year"),
        pytest.param(date(2026, 2, 28), 1, date(2026, 3, 28), id="anchor-feb-28-stays-28"),
        pytest.param(date(2024, 2, 29), 1, date(2024, 3, 29), id="anchor-feb-29-then-29"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="anchor-feb-29-non-leap-year"),
        pytest.param(date(2024, 2, 29), 48, date(2028, 2, 29), id="anchor-feb-29-next-leap-year"),
        pytest.param(date(2026, 3, 31), 1, date(2026, 4, 30), id="anchor-mar-31-apr"),
        pytest.param(date(2026, 3, 31), 2, date(2026, 5, 31), id="anchor-mar-31-may"),
        pytest.param(date(2026, 3, 31), 11, date(2027, 2, 28), id="anchor-mar-31-feb"),
        pytest.param(date(2026, 8, 31), 6, date(2027, 2, 28), id="anchor-aug-31-feb"),
        pytest.param(date(2026, 8, 31), 7, date(2027, 3, 31), id="anchor-aug-31-mar"),
        pytest.param(date(2026, 12, 31), 2, date(2027, 2, 28), id="anchor-dec-31-across-year"),
    ],
)
def test_period_start_adds_months_from_the_anchor_clamped_to_month_end(anchor: date, k: int, expected: date):
    assert period_start(anchor, k) == expected


def test_period_start_refuses_a_negative_index():
    with pytest.raises(ValueError, match="index"):
        period_start(date(2026, 1, 15), -1)


@pytest.mark.parametrize(
    ("anchor", "k", "start", "end", "days"),
    [
        pytest.param(date(2026, 1, 15), 0, date(2026, 1, 15), date(2026, 2, 14), 31, id="anchor-15-january"),
        pytest.param(date(2026, 1, 15), 1, date(2026, 2, 15), date(2026, 3, 14), 28, id="anchor-15-february"),
        pytest.param(date(2028, 1, 15), 1, date(2028, 2, 15), date(2028, 3, 14), 29, id="anchor-15-feb-leap-2028"),
        pytest.param(date(2026, 1, 31), 0, date(2026, 1, 31), date(2026, 2, 27), 28, id="anchor-jan-31-k0"),
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), date(2026, 3, 30), 31, id="anchor-jan-31-k1"),
        pytest.param(date(2026, 1, 31), 2, date(2026, 3, 31), date(2026, 4, 29), 30, id="anchor-jan-31-k2"),
        pytest.param(date(2024, 1, 31), 0, date(2024, 1, 31), date(2024, 2, 28), 29, id="anchor-jan-31-leap-2024-k0"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), date(2024, 3, 30), 31, id="anchor-jan-31-leap-2024-k1"),
        pytest.param(date(2026, 1, 30), 0, date(2026, 1, 30), date(2026, 2, 27), 29, id="anchor-jan-30-k0"),
        pytest.param(date(2026, 1, 30), 1, date(2026, 2, 28), date(2026, 3, 29), 30, id="anchor-jan-30-k1"),
        pytest.param(date(2026, 1, 28), 0, date(2026, 1, 28), date(2026, 2, 27), 31, id="anchor-jan-28-k0"),
        pytest.param(date(2026, 1, 28), 1, date(2026, 2, 28), date(2026, 3, 27), 28, id="anchor-jan-28-k1"),
        pytest.param(date(2024, 2, 29), 0, date(2024, 2, 29), date(2024, 3, 28), 29, id="anchor-feb-29-k0"),
        pytest.param(date(2024, 2, 29), 11, date(2025, 1, 29), date(2025, 2, 27), 30, id="anchor-feb-29-k11"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), date(2025, 3, 28), 29, id="anchor-feb-29-k12"),
        pytest.param(date(2026, 3, 31), 0, date(2026, 3, 31), date(2026, 4, 29), 30, id="anchor-mar-31-k0"),
        pytest.param(date(2026, 12, 31), 1, date(2027, 1, 31), date(2027, 2, 27), 28, id="anchor-dec-31-k1"),
    ],
)
def test_period_bounds(anchor: date, k: int, start: date, end: date, days: int):
    period = period_bounds(anchor, k)

    assert period == BillingPeriod(index=k, start=start, end=end)
    assert period.days == days
    assert period.next_start == end + timedelta(days=1)


# Dates as ISO strings to keep one case per line.
@pytest.mark.parametrize(
    ("anchor", "day", "index", "start", "end"),
    [
        pytest.param("2026-01-15", "2026-01-15", 0, "2026-01-15", "2026-02-14", id="on-anchor"),
        pytest.param("2026-01-15", "2026-02-14", 0, "2026-01-15", "2026-02-14", id="last-day"),
        pytest.param("2026-01-15", "2026-02-15", 1, "2026-02-15", "2026-03-14", id="next-start"),
        pytest.param("2026-01-15", "2026-03-01", 1, "2026-02-15", "2026-03-14", id="early-in-month"),
        pytest.param("2026-01-31", "2026-02-27", 0, "2026-01-31", "2026-02-27", id="anchor-jan-31-feb-27"),
        pytest.param("2026-01-31", "2026-02-28", 1, "2026-02-28", "2026-03-30", id="anchor-jan-31-feb-28"),
        pytest.param("2026-01-31", "2026-03-01", 1, "2026-02-28", "2026-03-30", id="anchor-jan-31-mar-1"),
        pytest.param("2026-01-31", "2026-03-30", 1, "2026-02-28", "2026-03-30", id="anchor-jan-31-mar-30"),
        pytest.param("2026-01-31", "2026-03-31", 2, "2026-03-31", "2026-04-29", id="anchor-jan-31-mar-31"),
        pytest.param("2024-01-31", "2024-02-28", 0, "2024-01-31", "2024-02-28", id="leap-2024-feb-28"),
        pytest.param("2024-01-31", "2024-02-29", 1, "2024-02-29", "2024-03-30", id="leap-2024-feb-29"),
        pytest.param("2024-02-29", "2025-02-27", 11, "2025-01-29", "2025-02-27", id="feb-29-k11-end"),
        pytest.param("2024-02-29", "2025-02-28", 12, "2025-02-28", "2025-03-28", id="feb-29-k12-start"),
        pytest.param("2026-01-15", "2036-01-14", 119, "2035-12-15", "2036-01-14", id="ten-years-end"),
        pytest.param("2026-01-15", "2036-01-15", 120, "2036-01-15", "2036-02-14", id="ten-years-on"),
        pytest.param("2000-01-31", "9000-12-30", 84010, "9000-11-30", "9000-12-30", id="far-future"),
    ],
)
def test_period_containing(anchor: str, day: str, index: int, start: str, end: str):
    period = period_containing(date.fromisoformat(anchor), date.fromisoformat(day))

    assert period == BillingPeriod(index=index, start=date.fromisoformat(start), end=date.fromisoformat(end))


def test_period_containing_refuses_a_day_before_the_anchor():
    with pytest.raises(ValueError, match="before the billing anchor"):
        period_containing(date(2026, 1, 15), date(2026, 1, 14))


def test_periods_covering_lists_every_period_touching_the_range():
    periods = periods_covering(date(2026, 1, 31), date(2026, 2, 27), date(2026, 3, 31))

    assert [(p.index, p.start, p.end) for p in periods] == [
        (0, date(2026, 1, 31), date(2026, 2, 27)),
        (1, date(2026, 2, 28), date(2026, 3, 30)),
        (2, date(2026, 3, 31), date(2026, 4, 29)),
    ]


def test_periods_covering_an_empty_range_is_empty():
    assert periods_covering(date(2026, 1, 15), date(2026, 3, 1), date(2026, 2, 28)) == []


def test_billing_period_contains_its_days_only():
    period = BillingPeriod(index=1, start=date(2026, 2, 15), end=date(2026, 3, 14))

    assert [day in period for day in (date(2026, 2, 14), date(2026, 2, 15), date(2026, 3, 14), date(2026, 3, 15))] == [
        False,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("anchor", "term_index", "months", "expected"),
    [
        pytest.param(date(2026, 1, 15), 0, 12, (date(2026, 1, 15), date(2027, 1, 14)), id="anchor-15-term-0"),
        pytest.param(date(2026, 1, 15), 1, 12, (date(2027, 1, 15), date(2028, 1, 14)), id="anchor-15-term-1"),
        pytest.param(date(2026, 1, 31), 0, 12, (date(2026, 1, 31), date(2027, 1, 30)), id="anchor-jan-31-term-0"),
        pytest.param(date(2024, 2, 29), 0, 12, (date(2024, 2, 29), date(2025, 2, 27)), id="anchor-feb-29-term-0"),
        pytest.param(date(2024, 2, 29), 1, 12, (date(2025, 2, 28), date(2026, 2, 27)), id="anchor-feb-29-term-1"),
        pytest.param(date(2024, 2, 29), 4, 12, (date(2028, 2, 29), date(2029, 2, 27)), id="anchor-feb-29-term-4"),
        pytest.param(date(2023, 2, 28), 0, 12, (date(2023, 2, 28), date(2024, 2, 27)), id="anchor-feb-28-term-0"),
        pytest.param(date(2023, 2, 28), 1, 12, (date(2024, 2, 28), date(2025, 2, 27)), id="anchor-feb-28-leap-term"),
        pytest.param(date(2026, 1, 31), 1, 1, (date(2026, 2, 28), date(2026, 3, 30)), id="one-month-term"),
    ],
)
def test_term_bounds(anchor: date, term_index: int, months: int, expected: tuple[date, date]):
    assert term_bounds(anchor, term_index, months) == expected


@pytest.mark.parametrize(
    ("anchor", "day", "term_index", "expected"),
    [
        pytest.param(date(2026, 1, 15), date(2026, 1, 15), 0, (date(2026, 1, 15), date(2027, 1, 14)), id="term-start"),
        pytest.param(date(2026, 1, 15), date(2027, 1, 14), 0, (date(2026, 1, 15), date(2027, 1, 14)), id="term-end"),
        pytest.param(date(2026, 1, 15), date(2027, 1, 15), 1, (date(2027, 1, 15), date(2028, 1, 14)), id="next-term"),
        pytest.param(date(2024, 2, 29), date(2025, 2, 27), 0, (date(2024, 2, 29), date(2025, 2, 27)), id="feb-29-end"),
        pytest.param(
            date(2024, 2, 29), date(2025, 2, 28), 1, (date(2025, 2, 28), date(2026, 2, 27)), id="feb-29-next"
        ),
    ],
)
def test_term_containing(anchor: date, day: date, term_index: int, expected: tuple[date, date]):
    assert term_index_containing(anchor, day) == term_index
    assert term_containing(anchor, day) == expected


def test_term_bounds_refuses_a_negative_term():
    with pytest.raises(ValueError, match="term index"):
        term_bounds(date(2026, 1, 15), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param((date(2026, 1, 1), date(2026, 1, 11)), (date(2026, 1, 5), date(2026, 2, 1)), 6, id="partial"),
        pytest.param((date(2026, 1, 1), date(2026, 2, 1)), (date(2026, 1, 5), date(2026, 1, 6)), 1, id="inside"),
        pytest.param((date(2026, 1, 1), date(2026, 1, 5)), (date(2026, 1, 5), date(2026, 1, 9)), 0, id="touching"),
        pytest.param((date(2026, 1, 1), date(2026, 1, 5)), (date(2026, 2, 1), date(2026, 2, 9)), 0, id="disjoint"),
        pytest.param((date(2026, 1, 1), date(2026, 1, 1)), (date(2025, 1, 1), date(2027, 1, 1)), 0, id="empty"),
    ],
)
def test_overlap_days(a: tuple[date, date], b: tuple[date, date], expected: int):
    assert overlap_days(*a, *b) == expected
    assert overlap_days(*b, *a) == expected


@pytest.mark.parametrize(
    ("start", "end_exclusive", "expected"),
    [
        pytest.param(date(2026, 2, 15), date(2026, 3, 15), 28, id="february-non-leap"),
        pytest.param(date(2028, 2, 15), date(2028, 3, 15), 29, id="february-leap"),
        pytest.param(date(2026, 1, 15), date(2027, 1, 15), 365, id="year"),
        pytest.param(date(2026, 1, 15), date(2026, 1, 15), 0, id="empty"),
    ],
)
def test_days_between(start: date, end_exclusive: date, expected: int):
    assert days_between(start, end_exclusive) == expected


def test_days_between_refuses_a_reversed_range():
    with pytest.raises(ValueError, match="before it starts"):
        days_between(date(2026, 1, 15), date(2026, 1, 14))


anchors = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@given(anchor=anchors, k=st.integers(min_value=0, max_value=1200))
def test_period_start_matches_the_calendar_oracle(anchor: date, k: int):
    assert period_start(anchor, k) == clamped_month_start(anchor, k)


@given(anchor=anchors, k=st.integers(min_value=0, max_value=1200))
def test_periods_tile_without_gap_or_overlap(anchor: date, k: int):
    period, following = period_bounds(anchor, k), period_bounds(anchor, k + 1)

    assert following.start == period.end + timedelta(days=1)
    assert 28 <= period.days <= 31
    assert period.start <= period.end


@given(anchor=anchors, offset=st.integers(min_value=0, max_value=40_000))
def test_period_containing_contains_the_day(anchor: date, offset: int):
    day = anchor + timedelta(days=offset)

    period = period_containing(anchor, day)

    assert period.start <= day <= period.end
    assert period.start == clamped_month_start(anchor, period.index)
    assert period.next_start == clamped_month_start(anchor, period.index + 1)


@given(anchor=anchors, term_index=st.integers(min_value=0, max_value=100))
def test_terms_tile_and_last_a_year(anchor: date, term_index: int):
    term_start, term_end = term_bounds(anchor, term_index)
    next_term_start, _ = term_bounds(anchor, term_index + 1)

    assert next_term_start == term_end + timedelta(days=1)
    assert (term_end - term_start).days + 1 in (365, 366)
    assert term_containing(anchor, term_start) == (term_start, term_end)
    assert term_containing(anchor, term_end) == (term_start, term_end)
