"""Billing-period calendar (SPEC 3): pure date arithmetic, no database, no clock.

Period k of a subscription runs from ``anchor + k months`` (inclusive) to ``anchor + (k + 1) months``
(exclusive), where "+ k months" clamps to the last day of the month when the anchor's day does not exist
there. Every boundary is computed from the anchor itself, never from the previous boundary, so an anchor on
Jan 31 gives Jan 31, Feb 28 (29), Mar 31, Apr 30, ... and never drifts to the 28th.

An annual contract term n (SPEC 3, 5.3) is the twelve periods 12n .. 12n + 11.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from works_console.dates import ONE_DAY

ANNUAL_TERM_MONTHS = 12


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """Billing period ``index`` of a subscription: the days ``start`` .. ``end``, both inclusive."""

    index: int
    start: date
    end: date  # inclusive: the last day billed in this period; the invoice is issued on end + 1 (SPEC 3)

    @property
    def next_start(self) -> date:
        """First day of the following period (the exclusive end of this one)."""
        return self.end + ONE_DAY

    @property
    def days(self) -> int:
        """Number of days in the period (28 to 31): the denominator of day proration (SPEC 3)."""
        return (self.next_start - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def period_start(anchor: date, k: int) -> date:
    """First day of period ``k``: ``anchor + k months``, clamped to the month's end (SPEC 3).

    The clamp is relativedelta's (Jan 31 + 1 month = Feb 28/29); computing from the anchor every time is what
    keeps Mar 31 after Feb 28 instead of Mar 28. Memoized: a month-end chunk asks for the same few anchors and
    indexes thousands of times, and relativedelta was a tenth of the renewal job's time.
    """
    if k < 0:
        raise ValueError(f"billing period index must be >= 0, got {k}")
    return _months_after(anchor, k)


@lru_cache(maxsize=65_536)
def _months_after(anchor: date, months: int) -> date:
    return anchor + relativedelta(months=months)


def period_bounds(anchor: date, k: int) -> BillingPeriod:
    """Billing period ``k`` of a subscription whose paid service started on ``anchor``."""
    return BillingPeriod(index=k, start=period_start(anchor, k), end=period_start(anchor, k + 1) - ONE_DAY)


def period_index_containing(anchor: date, day: date) -> int:
    """Index of the billing period that contains ``day`` (``day >= anchor``), in constant time.

    Period k starts in calendar month ``anchor.month + k`` (clamping never leaves the month), so the period
    starting in ``day``'s month is k = the month difference; if that period starts after ``day``, the day
    still belongs to the previous period.
    """
    if day < anchor:
        raise ValueError(f"{day.isoformat()} is before the billing anchor {anchor.isoformat()}")
    k = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    if period_start(anchor, k) > day:
        k -= 1
    return k


def period_containing(anchor: date, day: date) -> BillingPeriod:
    """The billing period with ``start <= day <= end``. Raises ValueError when ``day < anchor``."""
    return period_bounds(anchor, period_index_containing(anchor, day))


def periods_covering(anchor: date, first_day: date, last_day: date) -> list[BillingPeriod]:
    """Every billing period that shares at least one day with ``first_day`` .. ``last_day`` (inclusive)."""
    if last_day < first_day:
        return []
    first = period_index_containing(anchor, first_day)
    last = period_index_containing(anchor, last_day)
    return [period_bounds(anchor, k) for k in range(first, last + 1)]


def term_bounds(anchor: date, term_index: int, months: int = ANNUAL_TERM_MONTHS) -> tuple[date, date]:
    """``(term_start, term_end)``, both inclusive, of contract term ``term_index``.

    Term n covers billing periods ``months * n`` .. ``months * n + months - 1`` (SPEC 3: a 12-month term
    billed monthly), so a term always starts and ends on period boundaries.
    """
    if term_index < 0:
        raise ValueError(f"term index must be >= 0, got {term_index}")
    if months < 1:
        raise ValueError(f"a term has at least one month, got {months}")
    term_start = period_start(anchor, months * term_index)
    term_end = period_start(anchor, months * (term_index + 1)) - ONE_DAY
    return term_start, term_end


def term_from(anchor: date, first_day: date, months: int = ANNUAL_TERM_MONTHS) -> tuple[date, date]:
    """``(term_start, term_end)`` of a term of ``months`` periods that starts with the period containing
    ``first_day`` (a monthly contract renewing as annual starts its term at any period, not only at 12n)."""
    first = period_index_containing(anchor, first_day)
    return period_start(anchor, first), period_start(anchor, first + months) - ONE_DAY


def term_index_containing(anchor: date, day: date, months: int = ANNUAL_TERM_MONTHS) -> int:
    """Index of the contract term that contains ``day`` (``day >= anchor``)."""
    if months < 1:
        raise ValueError(f"a term has at least one month, got {months}")
    return period_index_containing(anchor, day) // months


def term_containing(anchor: date, day: date, months: int = ANNUAL_TERM_MONTHS) -> tuple[date, date]:
    """``(term_start, term_end)``, both inclusive, of the contract term that contains ``day``."""
    return term_bounds(anchor, term_index_containing(anchor, day, months), months)


def days_between(start: date, end_exclusive: date) -> int:
    """Number of days in ``[start, end_exclusive)``; ValueError when the range is reversed."""
    if end_exclusive < start:
        raise ValueError(f"range ends ({end_exclusive.isoformat()}) before it starts ({start.isoformat()})")
    return (end_exclusive - start).days


def overlap_days(a_start: date, a_end_exclusive: date, b_start: date, b_end_exclusive: date) -> int:
    """Days shared by the half-open ranges ``[a_start, a_end_exclusive)`` and ``[b_start, b_end_exclusive)``."""
    start = max(a_start, b_start)
    end = min(a_end_exclusive, b_end_exclusive)
    return max(0, (end - start).days)
