"""The invoice builder (SPEC 3, 5.5): plain data in, an unsaved invoice draft out. No database, no clock.

``billing.services`` gathers the inputs of a whole chunk of subscriptions, builds every draft here and stores
them in bulk; the builder itself knows nothing of subscriptions, reservations or locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from fractions import Fraction

from works_console.dates import ONE_DAY

from .models import Invoice, InvoiceLine, RateSegment
from .periods import BillingPeriod
from .pricing import InvoiceTotals, PenaltyBreakdown, SegmentTerms, invoice_totals, usage_lines


@dataclass(frozen=True, slots=True)
class BillableSegment:
    """A rate segment as plain data: what an invoice bills for a span of days (SPEC 3).

    ``quantity`` is the licences of an annual segment, or None for a monthly one, which is billed on the members
    registered at the close of the period (the ``members`` given to the builder).
    """

    plan_name: str
    contract_type: str
    unit_price: int
    list_unit_price: int
    quantity: int | None
    starts_on: date  # inclusive
    ends_on: date | None = None  # exclusive; None while the segment is open
    plan_id: int | None = None  # the line's plan, whose name pages show in the reader's language

    @classmethod
    def from_rate_segment(cls, segment: RateSegment) -> BillableSegment:
        copied = ("contract_type", "unit_price", "list_unit_price", "quantity", "starts_on", "ends_on", "plan_id")
        # The stored name is the catalogue's English one, whatever language the request or job runs in.
        return cls(
            plan_name=segment.plan.name_en or segment.plan.name, **{name: getattr(segment, name) for name in copied}
        )

    def terms(self, *, members: int, until: date | None = None) -> SegmentTerms | None:
        """The pricing terms, with the monthly quantity filled in and the end clipped at ``until`` (exclusive).

        None when the segment starts on or after ``until``: nothing of it is billed.
        """
        ends_on = self.ends_on
        if until is not None:
            if self.starts_on >= until:
                return None
            ends_on = until if ends_on is None else min(ends_on, until)
        return SegmentTerms(
            unit_price=self.unit_price,
            list_unit_price=self.list_unit_price,
            quantity=self.quantity if self.quantity is not None else members,
            starts_on=self.starts_on,
            ends_on=ends_on,
        )


@dataclass(frozen=True, slots=True)
class LineDraft:
    """One invoice line before it is stored (InvoiceLine's fields). The facts (plan, days, cancellation date) are
    what pages render the line's text from, in the reader's language (InvoiceLine.text)."""

    kind: str
    description: str
    amount: int
    plan_name: str = ""
    contract_type: str = ""
    unit_price: int | None = None
    quantity: int | None = None
    days: int | None = None
    period_days: int | None = None
    plan_id: int | None = None
    starts_on: date | None = None  # usage: first day billed; penalty: the term's first day
    ends_on: date | None = None  # inclusive: usage's last day billed; penalty: the term's last day
    cancellation_date: date | None = None

    def as_fields(self) -> dict:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """An invoice computed from plain data, not stored yet: its lines and totals (SPEC 3)."""

    period_index: int
    period_start: date
    period_end: date  # inclusive; a final invoice ends the day before the cancellation date
    is_final: bool
    lines: tuple[LineDraft, ...]
    totals: InvoiceTotals

    @property
    def is_empty(self) -> bool:
        """Nothing to bill: no usage line and no penalty (a service cancelled on its period's first day)."""
        return not self.lines

    def to_invoice(self, *, subscription_id: int, customer_id: int, issued_on: date, number: str) -> Invoice:
        """The unsaved Invoice row (for ``save()`` or ``bulk_create``), with its document number (billing.numbers)."""
        return Invoice(
            number=number,
            subscription_id=subscription_id,
            customer_id=customer_id,
            period_index=self.period_index,
            period_start=self.period_start,
            period_end=self.period_end,
            issued_on=issued_on,
            is_final=self.is_final,
            subtotal=self.totals.subtotal,
            credit_applied=self.totals.credit_applied,
            vat=self.totals.vat,
            total=self.totals.total,
        )

    def to_lines(self, invoice: Invoice) -> list[InvoiceLine]:
        """The unsaved InvoiceLine rows of a stored ``invoice`` (a LineDraft has InvoiceLine's fields)."""
        return [InvoiceLine(invoice=invoice, **line.as_fields()) for line in self.lines]


def build_period_invoice(
    *,
    segments: Sequence[BillableSegment],
    period: BillingPeriod,
    members: int,
    vat_rate: Fraction,
    credit_available: int = 0,
    usage_until: date | None = None,
    penalty: PenaltyBreakdown | None = None,
    is_final: bool = False,
) -> InvoiceDraft:
    """The invoice of one billing period, from plain data (SPEC 3, 5.5). No database, no clock.

    - One usage line per segment overlapping the period, prorated by day over the period's full length and
      floored to 1 KRW (billing.pricing.usage_lines); a monthly segment bills ``members``.
    - ``usage_until`` (exclusive) cuts the usage short for a final invoice: usage up to the day before the
      cancellation date, still divided by the full period's days.
    - A penalty line when ``penalty`` owes something; credit never settles it (billing.pricing.invoice_totals).
    - Credit up to ``credit_available``, then VAT at ``vat_rate`` on what remains, floored.
    """
    if usage_until is not None and not period.start <= usage_until <= period.next_start:
        raise ValueError(f"usage must end within the period {period.start} .. {period.end}, got {usage_until}")
    if isinstance(members, bool) or not isinstance(members, int) or members < 0:
        raise TypeError(f"members must be an int >= 0, got {members!r}")

    billed = []
    terms = []
    for segment in sorted(segments, key=lambda s: s.starts_on):
        segment_terms = segment.terms(members=members, until=usage_until)
        if segment_terms is not None:
            billed.append(segment)
            terms.append(segment_terms)

    lines: list[LineDraft] = []
    for usage in usage_lines(terms, period):
        segment = billed[usage.segment_index]
        first_day = max(segment.starts_on, period.start)
        last_day = min(terms[usage.segment_index].ends_on or period.next_start, period.next_start) - ONE_DAY
        # Stored text is language-neutral (plan name and ISO dates); pages render it from the facts.
        description = f"{segment.plan_name} {first_day.isoformat()} – {last_day.isoformat()}"
        rate = (segment.plan_name, segment.contract_type, usage.unit_price, usage.quantity)
        facts = {"plan_id": segment.plan_id, "starts_on": first_day, "ends_on": last_day}
        lines.append(
            LineDraft(InvoiceLine.Kind.USAGE, description, usage.amount, *rate, usage.days, usage.period_days, **facts)
        )
    penalty_amount = penalty.amount if penalty is not None else 0
    if penalty_amount:
        lines.append(
            LineDraft(
                kind=InvoiceLine.Kind.PENALTY,
                description=(
                    f"{penalty.cancellation_date.isoformat()}"
                    f" ({penalty.term_start.isoformat()} – {penalty.term_end.isoformat()})"
                ),
                amount=penalty_amount,
                starts_on=penalty.term_start,
                ends_on=penalty.term_end,
                cancellation_date=penalty.cancellation_date,
            )
        )

    totals = invoice_totals(
        usage_amounts=[line.amount for line in lines if line.kind == InvoiceLine.Kind.USAGE],
        penalty_amount=penalty_amount,
        adjustment_amounts=[],
        credit_available=credit_available,
        vat_rate=vat_rate,
    )
    period_end = period.end if usage_until is None else max(period.start, usage_until - ONE_DAY)
    return InvoiceDraft(
        period_index=period.index,
        period_start=period.start,
        period_end=period_end,
        is_final=is_final,
        lines=tuple(lines),
        totals=totals,
    )
