"""Billing-period calendar (SPEC 3): pure date arithmetic, no database, no clock.

Period k of a subscription runs from ``anchor + k months`` (inclusive) to ``anchor + (k + 1) months``
(exclusive), where "+ k months" clamps to the last day of the month when the anchor's day does not exist
there. Every boundary is computed from the anchor itself, never from the previous boundary, so an anchor on
Jan 31 gives Jan 31, Feb 28 (29), Mar 31, Apr 30, ... and never drifts to the 28th.

An annual contract term n (SPEC 3, 5.3) is the twelve periods 12n .. 12n + 11.

``contract_on`` answers "what is the contract on this day" (its period, term and contract end) from the anchor,
the rate segments and the renewal option, so that pages and rules read the calendar, never the jobs' progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

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


# --- the contract on a day (issue 22): what the calendar says, whether or not the jobs have caught up ----------

MONTHLY = "monthly"  # the values of billing.models.ContractType: this module stays free of Django
ANNUAL = "annual"


class ContractSpan(Protocol):
    """What the calendar reads of a rate segment: from which day which contract type runs (a RateSegment fits)."""

    starts_on: date
    ends_on: date | None  # exclusive; None while the segment is open
    contract_type: str


@dataclass(frozen=True, slots=True)
class PlannedSpan:
    """A ContractSpan of plain values: a contract the rate segments do not hold yet (a reserved conversion whose
    date has come, before the conversion job has started it)."""

    starts_on: date
    contract_type: str
    ends_on: date | None = None


@dataclass(frozen=True, slots=True)
class Renewal:
    """The renewal option as the calendar reads it (SPEC 5.3): after the term that ends on ``after``, the contract
    continues as ``contract_type`` (annual: terms of 12 periods from the day after; monthly: one period at a time),
    or, with ``None`` ("Do not renew"), the service stops the day after."""

    after: date
    contract_type: str | None


@dataclass(frozen=True, slots=True)
class ContractDay:
    """A paid contract on ``day``: its billing period, its contract term and the contract end (SPEC 3, 5.3, 5.5).

    ``stopped_on``: the service stopped on that day (``day`` is on or after it); the period and the term are then
    those of the last day of service. ``renewed_from``: the renewal option took effect on that day and the rate
    segments given do not show it yet (the renewal job has not run since): a caller pricing the days from then on
    prices them at the renewal's terms.
    """

    day: date
    contract_type: str
    period: BillingPeriod  # the billing period containing ``day`` (or the last day of service)
    term_start: date
    term_end: date  # inclusive: the contract end of SPEC 5.5 (a monthly contract's term is its period)
    stopped_on: date | None = None
    renewed_from: date | None = None

    @property
    def is_running(self) -> bool:
        return self.stopped_on is None

    @property
    def contract_end(self) -> date:
        return self.term_end

    @property
    def penalty_free_date(self) -> date:
        """The day after the contract end: the latest cancellation date, and the first without a penalty."""
        return self.term_end + ONE_DAY


def contract_on(
    *,
    anchor: date,
    segments: Sequence[ContractSpan],
    day: date,
    renewal: Renewal | None = None,
    stops_on: date | None = None,
) -> ContractDay:
    """The contract of a paid subscription on the KST date ``day``, from its billing anchor and rate segments.

    Runs of consecutive segments of one contract type make the contract: a monthly run's term is the billing
    period containing the day (SPEC 5.3); an annual run's terms are 12 periods from the period its first segment
    starts in (``term_from``: a monthly contract renewed as annual starts its term at any period). Past the term
    ending on ``renewal.after`` the renewal option applies on the day after, as the renewal job will apply it,
    unless the segments show it applied already or the service stops by then. The service stops where the last
    segment ends, or on ``stops_on`` (a cancellation date), or the day after a term that is not renewed.

    Nothing here depends on whether a job has run: the answer for a day is the same before and after the run.
    """
    if day < anchor:
        raise ValueError(f"{day.isoformat()} is before the billing anchor {anchor.isoformat()}")
    spans = sorted(segments, key=lambda span: span.starts_on)
    if not spans:
        raise ValueError("a paid contract has at least one rate segment")
    runs: list[tuple[date, str]] = []  # (first day, contract type) of each run of one contract type
    for span in spans:
        if span.contract_type not in (MONTHLY, ANNUAL):
            raise ValueError(f"unknown contract type {span.contract_type!r}")
        if not runs or runs[-1][1] != span.contract_type:
            runs.append((span.starts_on, span.contract_type))
    stop = spans[-1].ends_on
    if stops_on is not None and (stop is None or stops_on < stop):
        stop = stops_on
    renewed_from = None
    if renewal is not None and day > renewal.after and spans[-1].starts_on <= renewal.after:
        first_day = renewal.after + ONE_DAY
        if stop is None or stop > first_day:  # a cancellation by the day after the term end wins (SPEC 5.5)
            if renewal.contract_type is None:
                stop = first_day
            else:
                renewed_from = first_day
                runs.append((first_day, renewal.contract_type))
    if stop is not None and day >= stop:
        last_day = max(stop - ONE_DAY, anchor)
        return _contract_of_run(anchor, runs, last_day, day=day, stopped_on=stop, renewed_from=renewed_from)
    return _contract_of_run(anchor, runs, day, day=day, stopped_on=None, renewed_from=renewed_from)


def _contract_of_run(
    anchor: date, runs: list[tuple[date, str]], on: date, *, day: date, stopped_on: date | None, renewed_from
) -> ContractDay:
    """The period and term containing ``on`` in the run in force then (runs start on period boundaries)."""
    run_start, contract_type = runs[0]
    for start, kind in runs[1:]:
        if start > on:
            break
        run_start, contract_type = start, kind
    period = period_containing(anchor, on)
    if contract_type == MONTHLY:
        term_start, term_end = period.start, period.end
    else:
        first = period_index_containing(anchor, max(run_start, anchor))
        term_first = first + (period.index - first) // ANNUAL_TERM_MONTHS * ANNUAL_TERM_MONTHS
        term_start = period_start(anchor, term_first)
        term_end = period_start(anchor, term_first + ANNUAL_TERM_MONTHS) - ONE_DAY
    return ContractDay(
        day=day,
        contract_type=contract_type,
        period=period,
        term_start=term_start,
        term_end=term_end,
        stopped_on=stopped_on,
        renewed_from=renewed_from,
    )
