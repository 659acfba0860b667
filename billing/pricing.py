"""Money (SPEC 3, 5.6): pure functions over integer KRW, no database, no floats.

Amounts are ``int`` KRW. Intermediate values that are not whole won are ``fractions.Fraction`` and are
floored exactly where the SPEC says: once per invoice line (usage proration), once for the VAT, and once at
the very end of the early-termination penalty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .periods import ONE_DAY, BillingPeriod, overlap_days, periods_covering


def _require_int(name: str, value: object, *, minimum: int | None = 0) -> int:
    # bool is an int subclass and a float would silently bring rounding into money: refuse both.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (KRW or a count), got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _require_rate(name: str, rate: object) -> Fraction:
    if type(rate) is Fraction and 0 <= rate.numerator <= rate.denominator:
        return rate  # the usual case, checked without building a new Fraction (the denominator is always > 0)
    if isinstance(rate, bool) or not isinstance(rate, Fraction | int):
        raise TypeError(f"{name} must be a Fraction (see parse_rate), got {type(rate).__name__}")
    rate = Fraction(rate)
    if not 0 <= rate <= 1:
        raise ValueError(f"{name} must be between 0 and 1, got {rate}")
    return rate


def parse_rate(value: str | Decimal | Fraction) -> Fraction:
    """Exact rate from a setting such as ``VAT_RATE = "0.10"`` or ``EARLY_TERMINATION_RATE`` (SPEC 3, 5.6).

    Strings go straight to Fraction ("0.10" -> 1/10) so no binary float is ever involved; floats are refused
    for the same reason. The rate must lie in [0, 1].
    """
    if isinstance(value, bool | float):
        raise TypeError("rates must be given as a string, Decimal or Fraction, never a float")
    try:
        if isinstance(value, str):
            rate = Fraction(value.strip())
        elif isinstance(value, Decimal | Fraction | int):
            rate = Fraction(value)
        else:
            raise TypeError(f"cannot read a rate from {type(value).__name__}")
    except (ValueError, ZeroDivisionError, InvalidOperation, OverflowError) as exc:
        # Decimal("NaN") / Decimal("Infinity") raise ValueError/OverflowError; "1/0" raises ZeroDivisionError.
        raise ValueError(f"invalid rate {value!r}") from exc
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be between 0 and 1, got {value!r}")
    return rate


@dataclass(frozen=True, slots=True)
class SegmentTerms:
    """The billing facts of one rate segment (SPEC 3): a price and a quantity over a span of days.

    A new segment starts whenever the plan (upgrade, SPEC 5.4), the licence count or the contract type
    changes; the unit prices are copied onto the segment so later catalogue changes never reach it.
    """

    unit_price: int  # KRW per user per month at the contract type's price, as agreed when the segment started
    # Annual segments only: the monthly-contract unit price of the same plan at the same time; the difference
    # is the "discount received" of the early-termination penalty (SPEC 5.6). None for monthly segments.
    list_unit_price: int | None
    quantity: int  # licences (annual) or members registered at the close of the period (monthly)
    starts_on: date  # inclusive
    ends_on: date | None = None  # exclusive: the first day no longer billed at these terms; None = still running

    def __post_init__(self) -> None:
        _require_int("unit_price", self.unit_price)
        if self.list_unit_price is not None:
            _require_int("list_unit_price", self.list_unit_price)
        _require_int("quantity", self.quantity)
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError(f"segment ends ({self.ends_on}) before it starts ({self.starts_on})")

    def days_within(self, start: date, end_exclusive: date) -> int:
        """Days of this segment inside ``[start, end_exclusive)``."""
        segment_end = end_exclusive if self.ends_on is None else self.ends_on
        return overlap_days(self.starts_on, segment_end, start, end_exclusive)


def floor_share(amount: int, rate: Fraction) -> int:
    """``floor(rate x amount)`` in integers: ``amount x numerator // denominator``, the same as
    ``math.floor(rate * amount)`` with a Fraction (tests/billing/test_integer_money.py proves it) without
    building one on the hot path (a VAT per invoice)."""
    return amount * rate.numerator // rate.denominator


def prorated_amount(unit_price: int, quantity: int, overlap_days: int, period_days: int) -> int:
    """``floor(unit_price x quantity x overlap_days / period_days)`` computed exactly in integers (SPEC 3)."""
    _require_int("unit_price", unit_price)
    _require_int("quantity", quantity)
    _require_int("overlap_days", overlap_days)
    _require_int("period_days", period_days, minimum=1)
    if overlap_days > period_days:
        raise ValueError(f"overlap of {overlap_days} days exceeds the {period_days}-day period")
    # All operands are non-negative ints, so floor division is the exact floor.
    return unit_price * quantity * overlap_days // period_days


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One usage line of an invoice: one rate segment's share of one billing period (SPEC 3)."""

    segment_index: int  # position of the segment in the list given to usage_lines
    unit_price: int
    quantity: int
    days: int  # days of the segment inside the period
    period_days: int
    amount: int  # floor(unit_price x quantity x days / period_days)


def usage_lines(segments: Sequence[SegmentTerms], period: BillingPeriod) -> list[UsageLine]:
    """One usage line per segment that overlaps ``period``, prorated by day and floored to 1 KRW (SPEC 3).

    A final invoice (SPEC 5.5) bills usage up to the day before the cancellation date: the caller closes the
    segments there (``ends_on = cancellation_date``) and the period keeps its full length as denominator.
    """
    lines: list[UsageLine] = []
    for segment_index, segment in enumerate(segments):
        days = segment.days_within(period.start, period.next_start)
        if days == 0:
            continue
        lines.append(
            UsageLine(
                segment_index=segment_index,
                unit_price=segment.unit_price,
                quantity=segment.quantity,
                days=days,
                period_days=period.days,
                amount=prorated_amount(segment.unit_price, segment.quantity, days, period.days),
            )
        )
    return lines


def rest_of_period_charge(*, unit_price: int, quantity: int, starts_on: date, period: BillingPeriod) -> UsageLine:
    """The usage line a rate segment starting on ``starts_on`` adds to ``period``'s invoice when it runs to the
    period's end: ``usage_lines`` of that one segment, prorated by day over the full period and floored once
    (SPEC 3). An upgrade's review shows it (SPEC 5.4, issue 20): the amount the invoice then bills for those days.
    """
    if not period.start <= starts_on <= period.end:
        raise ValueError(f"{starts_on} is not within the period {period.start} .. {period.end}")
    terms = SegmentTerms(unit_price=unit_price, list_unit_price=None, quantity=quantity, starts_on=starts_on)
    [line] = usage_lines([terms], period)
    return line


@dataclass(frozen=True, slots=True)
class PenaltyItem:
    """One rate segment's part of the penalty base within one billing period of the term (SPEC 5.6)."""

    period_index: int
    period_start: date
    period_end: date  # inclusive
    period_days: int
    segment_index: int
    unit_price: int  # annual unit price recorded on the segment
    list_unit_price: int  # monthly unit price recorded on the segment
    quantity: int
    days_before: int  # term days of this period and segment before the cancellation date
    days_remaining: int  # days of this period and segment from the cancellation date to the term end
    discount_received: Fraction  # (list - unit) x quantity x days_before / period_days, exact
    remaining_fee: Fraction  # unit x quantity x days_remaining / period_days, exact


@dataclass(frozen=True, slots=True)
class PenaltyBreakdown:
    """The early-termination penalty for one cancellation date, itemised for the cancel popup (SPEC 5.5, 5.6)."""

    term_start: date
    term_end: date  # inclusive: the contract end date
    cancellation_date: date
    rate: Fraction
    items: tuple[PenaltyItem, ...]
    discount_received_exact: Fraction
    remaining_fee_exact: Fraction
    discount_received: int  # floor of the exact value, for display only: the penalty uses the exact sum
    remaining_fee: int  # floor of the exact value, for display only
    amount: int  # floor(rate x (discount received + remaining fee)): the penalty line of the final invoice

    @classmethod
    def nothing(cls, *, term_start: date, term_end: date, cancellation_date: date, rate: Fraction) -> PenaltyBreakdown:
        """No penalty owed (a date after the contract end, a monthly contract, a trial)."""
        zero = Fraction(0)
        return cls(
            term_start=term_start,
            term_end=term_end,
            cancellation_date=cancellation_date,
            rate=rate,
            items=(),
            discount_received_exact=zero,
            remaining_fee_exact=zero,
            discount_received=0,
            remaining_fee=0,
            amount=0,
        )

    @property
    def penalty_free_date(self) -> date:
        """First cancellation date without a penalty: the day after the contract end (SPEC 5.5)."""
        return self.term_end + ONE_DAY


def early_termination_penalty(
    *,
    segments: Sequence[SegmentTerms],
    anchor: date,
    term_start: date,
    term_end: date,
    cancellation_date: date,
    rate: Fraction,
) -> PenaltyBreakdown:
    """Early-termination penalty of an annual contract cancelled on ``cancellation_date`` (SPEC 5.6).

    ``penalty = floor(rate x (discount received + remaining fee))`` where, for every billing period of the
    term and every rate segment, prorated by day within that period:

    - discount received = (list_unit_price - unit_price) x quantity over the term's days before the
      cancellation date;
    - remaining fee = unit_price x quantity over the days from the cancellation date to the term end.

    The term (``term_start`` .. ``term_end``, inclusive) must be whole billing periods counted from
    ``anchor``, usually ``periods.term_bounds(anchor, n)``. Every part is an exact Fraction; only the final
    amount is floored (the ints on the breakdown are for display). A cancellation date after the term end owes
    nothing: the result is then zero with no items.
    The caller decides that a penalty applies at all (annual contracts only, not monthly, not trials).
    """
    rate = _require_rate("rate", rate)
    if term_end < term_start:
        raise ValueError(f"term ends ({term_end}) before it starts ({term_start})")
    if term_start < anchor:
        raise ValueError(f"term starts ({term_start}) before the billing anchor ({anchor})")
    periods = periods_covering(anchor, term_start, term_end)
    if periods[0].start != term_start or periods[-1].end != term_end:
        # A term is a run of whole billing periods (SPEC 3); proration is by day within each of them.
        raise ValueError(f"term {term_start} .. {term_end} does not start and end on billing period boundaries")
    if cancellation_date < term_start:
        # Cancelling before a term starts means the term never runs; that is the previous term's question.
        raise ValueError(f"cancellation date {cancellation_date} is before the term start {term_start}")

    if cancellation_date > term_end:
        return PenaltyBreakdown.nothing(
            term_start=term_start, term_end=term_end, cancellation_date=cancellation_date, rate=rate
        )

    items: list[PenaltyItem] = []
    for period in periods:
        # Days before the split are used (discount received), days from it on are unused (remaining fee).
        split = min(max(cancellation_date, period.start), period.next_start)
        for segment_index, segment in enumerate(segments):
            days_before = segment.days_within(period.start, split)
            days_remaining = segment.days_within(split, period.next_start)
            if days_before == 0 and days_remaining == 0:
                continue
            if segment.list_unit_price is None:
                raise ValueError(
                    f"segment {segment_index} has no monthly (list) unit price; the penalty applies to annual"
                    " segments only"
                )
            # A monthly price below the annual one would be a catalogue error; it is no discount, never a
            # negative one, so the penalty cannot go below the remaining fee part.
            discount_per_unit = max(0, segment.list_unit_price - segment.unit_price)
            items.append(
                PenaltyItem(
                    period_index=period.index,
                    period_start=period.start,
                    period_end=period.end,
                    period_days=period.days,
                    segment_index=segment_index,
                    unit_price=segment.unit_price,
                    list_unit_price=segment.list_unit_price,
                    quantity=segment.quantity,
                    days_before=days_before,
                    days_remaining=days_remaining,
                    discount_received=Fraction(discount_per_unit * segment.quantity * days_before, period.days),
                    remaining_fee=Fraction(segment.unit_price * segment.quantity * days_remaining, period.days),
                )
            )

    discount_received = sum((item.discount_received for item in items), Fraction(0))
    remaining_fee = sum((item.remaining_fee for item in items), Fraction(0))
    return PenaltyBreakdown(
        term_start=term_start,
        term_end=term_end,
        cancellation_date=cancellation_date,
        rate=rate,
        items=tuple(items),
        discount_received_exact=discount_received,
        remaining_fee_exact=remaining_fee,
        discount_received=math.floor(discount_received),
        remaining_fee=math.floor(remaining_fee),
        amount=math.floor(rate * (discount_received + remaining_fee)),
    )


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    """The bottom of an invoice (SPEC 3): lines, then credits, then VAT on what remains."""

    subtotal: int  # usage lines + penalty line + adjustments
    credit_applied: int  # customer credit consumed by this invoice (usage lines only)
    taxable: int  # subtotal - credit_applied, never below 0
    vat: int  # floor(vat_rate x taxable)
    total: int  # taxable + vat: what the customer pays
    credit_due: int  # > 0 only when adjustments exceed every charge: owed back to the customer as credit


def invoice_totals(
    *,
    usage_amounts: Sequence[int],
    penalty_amount: int,
    adjustment_amounts: Sequence[int],
    credit_available: int,
    vat_rate: Fraction,
) -> InvoiceTotals:
    """Invoice totals from lines that are already whole KRW (SPEC 3).

    Credits settle usage lines only, never the penalty line: the credit applied is at most the usage
    subtotal, at most the customer's balance, and at most the subtotal (a negative adjustment already
    lowered what is owed, so credit is not burnt on it). VAT is ``floor(vat_rate x (subtotal - credit))``.
    Should negative adjustments exceed every charge, taxable and total are 0 and the excess is reported as
    ``credit_due`` for the caller to grant back, rather than issuing a negative invoice.
    """
    usage_subtotal = sum(_require_int("usage amount", amount) for amount in usage_amounts)
    penalty_amount = _require_int("penalty_amount", penalty_amount)
    adjustments = sum(_require_int("adjustment amount", amount, minimum=None) for amount in adjustment_amounts)
    credit_available = _require_int("credit_available", credit_available)
    vat_rate = _require_rate("vat_rate", vat_rate)

    subtotal = usage_subtotal + penalty_amount + adjustments
    credit_applied = max(0, min(credit_available, usage_subtotal, subtotal))
    taxable = max(0, subtotal - credit_applied)
    vat = floor_share(taxable, vat_rate)
    return InvoiceTotals(
        subtotal=subtotal,
        credit_applied=credit_applied,
        taxable=taxable,
        vat=vat,
        total=taxable + vat,
        credit_due=max(0, credit_applied - subtotal),  # the negative part of subtotal - credit_applied
    )
