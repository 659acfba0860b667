"""Invoices and credits (SPEC 3, 5.5): a pure invoice builder, and the services that issue and store invoices.

The builder (`build_period_invoice`) takes plain data and returns an unsaved draft, so the lifecycle jobs can
compute the invoices of a whole chunk of subscriptions and store them in bulk; the services below compute
one subscription's invoice under its row lock, which the caller holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from subscriptions.models import Reservation
from works_console.dates import kst_date

from .models import CustomerCredit, Invoice, InvoiceLine, RateSegment
from .periods import ONE_DAY, BillingPeriod, period_bounds, period_containing
from .pricing import InvoiceTotals, PenaltyBreakdown, SegmentTerms, invoice_totals, parse_rate, usage_lines
from .selectors import credit_balance, workspace_member_count

logger = logging.getLogger(__name__)


# --- the pure builder ------------------------------------------------------------------------------------------


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

    @classmethod
    def from_rate_segment(cls, segment: RateSegment) -> BillableSegment:
        return cls(
            plan_name=segment.plan.name,
            contract_type=segment.contract_type,
            unit_price=segment.unit_price,
            list_unit_price=segment.list_unit_price,
            quantity=segment.quantity,
            starts_on=segment.starts_on,
            ends_on=segment.ends_on,
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
    """One invoice line before it is stored (InvoiceLine's fields)."""

    kind: str
    description: str
    amount: int
    plan_name: str = ""
    contract_type: str = ""
    unit_price: int | None = None
    quantity: int | None = None
    days: int | None = None
    period_days: int | None = None


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

    def to_invoice(self, *, subscription_id: int, customer_id: int, issued_on: date) -> Invoice:
        """The unsaved Invoice row (for ``save()`` or ``bulk_create``)."""
        return Invoice(
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
        """The unsaved InvoiceLine rows of a stored ``invoice``."""
        return [
            InvoiceLine(
                invoice=invoice,
                kind=line.kind,
                description=line.description,
                plan_name=line.plan_name,
                contract_type=line.contract_type,
                unit_price=line.unit_price,
                quantity=line.quantity,
                days=line.days,
                period_days=line.period_days,
                amount=line.amount,
            )
            for line in self.lines
        ]


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
        lines.append(
            LineDraft(
                kind=InvoiceLine.Kind.USAGE,
                # Stored text is language-neutral (plan name and ISO dates); pages translate the contract type.
                description=f"{segment.plan_name} {first_day.isoformat()} – {last_day.isoformat()}",
                plan_name=segment.plan_name,
                contract_type=segment.contract_type,
                unit_price=usage.unit_price,
                quantity=usage.quantity,
                days=usage.days,
                period_days=usage.period_days,
                amount=usage.amount,
            )
        )
    penalty_amount = penalty.amount if penalty is not None else 0
    if penalty_amount:
        lines.append(
            LineDraft(
                kind=InvoiceLine.Kind.PENALTY,
                description=(
                    f"Early termination on {penalty.cancellation_date.isoformat()}"
                    f" (term {penalty.term_start.isoformat()} – {penalty.term_end.isoformat()})"
                ),
                amount=penalty_amount,
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


def vat_rate() -> Fraction:
    return parse_rate(settings.VAT_RATE)


# --- storing invoices (the caller holds the subscription's row lock) ----------------------------------------------


def billable_segments(*, subscription, start: date, end_exclusive: date) -> list[BillableSegment]:
    """The subscription's rate segments overlapping ``[start, end_exclusive)``, as plain data (one query)."""
    rows = (
        RateSegment.objects.filter(subscription=subscription, starts_on__lt=end_exclusive)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=start))
        .select_related("plan")
        .order_by("starts_on", "id")
    )
    return [BillableSegment.from_rate_segment(row) for row in rows]


def _lock_customer_credit(customer_id: int) -> int:
    """Lock the customer's row, then read the credit balance: two invoices cannot spend the same credit."""
    get_user_model().objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True).get()
    return credit_balance(customer_id=customer_id)


def _store(draft: InvoiceDraft, *, subscription, issued_on: date) -> Invoice | None:
    """Insert the draft, its lines and its use of credit in a savepoint; None if that period has an invoice.

    The unique constraint (subscription, period_index) is the last guard against a double invoice (SPEC 6).
    """
    try:
        with transaction.atomic():
            invoice = draft.to_invoice(
                subscription_id=subscription.pk, customer_id=subscription.customer_id, issued_on=issued_on
            )
            invoice.save()
            InvoiceLine.objects.bulk_create(draft.to_lines(invoice))
            if draft.totals.credit_applied:
                CustomerCredit.objects.create(
                    customer_id=subscription.customer_id,
                    amount=-draft.totals.credit_applied,
                    reason=f"Applied to invoice {invoice.public_id}",
                    invoice=invoice,
                )
    except IntegrityError:
        if Invoice.objects.filter(subscription=subscription, period_index=draft.period_index).exists():
            logger.info("invoice for subscription %s period %s already issued", subscription.pk, draft.period_index)
            return None
        raise
    return invoice


def _advance(subscription, *, next_index: int) -> None:
    """Move ``next_period_index`` past the periods now invoiced, and ``next_invoice_on`` to the day the next
    period's invoice is due (its end + 1 day; none once the service has ended)."""
    next_index = max(subscription.next_period_index, next_index)
    due_on = None
    if subscription.terminated_on is None:
        due_on = period_bounds(subscription.paid_start, next_index).next_start
    if (next_index, due_on) == (subscription.next_period_index, subscription.next_invoice_on):
        return
    subscription.next_period_index = next_index
    subscription.next_invoice_on = due_on
    subscription.save(update_fields=["next_period_index", "next_invoice_on"])


def _has_cancellation_due_by(subscription, day: date) -> bool:
    return Reservation.objects.filter(
        subscription=subscription,
        kind=Reservation.Kind.CANCELLATION,
        state=Reservation.State.PENDING,
        effective_on__lte=day,
    ).exists()


def _issue(
    *,
    subscription,
    period: BillingPeriod,
    now: datetime,
    usage_until: date | None = None,
    penalty: PenaltyBreakdown | None = None,
    is_final: bool = False,
) -> Invoice | None:
    end_exclusive = usage_until if usage_until is not None else period.next_start
    segments = billable_segments(subscription=subscription, start=period.start, end_exclusive=end_exclusive)
    has_monthly = any(segment.quantity is None for segment in segments)
    members = workspace_member_count(workspace_id=subscription.workspace_id) if has_monthly else 0
    rate = vat_rate()
    probe = build_period_invoice(
        segments=segments,
        period=period,
        members=members,
        vat_rate=rate,
        usage_until=usage_until,
        penalty=penalty,
        is_final=is_final,
    )
    if probe.is_empty:
        return None
    credit = _lock_customer_credit(subscription.customer_id) if probe.totals.subtotal > 0 else 0
    draft = build_period_invoice(
        segments=segments,
        period=period,
        members=members,
        vat_rate=rate,
        credit_available=max(credit, 0),
        usage_until=usage_until,
        penalty=penalty,
        is_final=is_final,
    )
    invoice = _store(draft, subscription=subscription, issued_on=kst_date(now))
    if invoice is None:
        invoice = Invoice.objects.get(subscription=subscription, period_index=period.index)
    return invoice


def invoice_issue_for_period(*, subscription, period_index: int, now: datetime) -> Invoice | None:
    """Issue the invoice of one ended billing period (SPEC 3); the caller holds the subscription's row lock.

    Idempotent: an invoice already issued for the period is returned as it is (a concurrent insert is caught by
    the unique constraint and read back). Returns None when there is nothing to invoice yet: not paid, the period
    has not ended (it is invoiced from the day after its end, KST), the service ended before it, or a
    cancellation due within it will bill it on the final invoice. Advances ``next_period_index``.
    """
    if subscription.paid_start is None:
        return None
    today = kst_date(now)
    period = period_bounds(subscription.paid_start, period_index)
    existing = Invoice.objects.filter(subscription=subscription, period_index=period_index).first()
    if existing is not None:
        _advance(subscription, next_index=period_index + 1)
        return existing
    if period.end >= today:
        return None
    if subscription.terminated_on is not None and period.start >= subscription.terminated_on:
        return None
    if _has_cancellation_due_by(subscription, period.end):
        return None
    invoice = _issue(subscription=subscription, period=period, now=now)
    _advance(subscription, next_index=period_index + 1)
    return invoice


def invoice_issue_due(*, subscription, now: datetime, before: date | None = None) -> list[Invoice]:
    """Issue every ended, not yet invoiced period from ``next_period_index`` on (the caller holds the lock).

    ``before``: only periods that end before that day (a final invoice bills the rest).
    """
    if subscription.paid_start is None:
        return []
    today = kst_date(now)
    issued = []
    while True:
        period = period_bounds(subscription.paid_start, subscription.next_period_index)
        if period.end >= today or (before is not None and period.end >= before):
            return issued
        invoice = invoice_issue_for_period(subscription=subscription, period_index=period.index, now=now)
        if invoice is None:
            return issued
        issued.append(invoice)


def invoice_issue_final(
    *, subscription, cancellation_date: date, penalty: PenaltyBreakdown | None, now: datetime
) -> Invoice | None:
    """The final invoice of a paid service that stops on ``cancellation_date`` (SPEC 5.5).

    Issues the ended periods not yet invoiced first, then one final invoice for the open period: the usage from
    its start up to the day before the cancellation date (prorated by day over the full period's length) plus
    the penalty line. Returns None when there is nothing left to bill (the service stops on a period's first
    day without a penalty). The caller holds the subscription's row lock, and closes the segments afterwards.
    """
    anchor = subscription.paid_start
    if anchor is None:
        return None
    if cancellation_date < anchor:
        raise ValueError(f"cancellation date {cancellation_date} is before the paid start {anchor}")
    invoice_issue_due(subscription=subscription, now=now, before=cancellation_date)
    period = period_containing(anchor, cancellation_date)
    existing = Invoice.objects.filter(subscription=subscription, period_index=period.index).first()
    if existing is not None:
        return existing
    invoice = _issue(
        subscription=subscription,
        period=period,
        now=now,
        usage_until=cancellation_date,
        penalty=penalty,
        is_final=True,
    )
    if invoice is not None:
        subscription.next_period_index = period.index + 1
        subscription.save(update_fields=["next_period_index"])
    return invoice


# --- credits ----------------------------------------------------------------------------------------------------


@transaction.atomic
def credit_grant(*, customer, amount: int, reason: str, by) -> CustomerCredit:
    """Grant ``amount`` KRW of credit to a customer (SPEC 3), by an operator, with the reason written down."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError({"amount": _("Enter a whole number of KRW.")}, code="invalid")
    if amount <= 0:
        raise ValidationError({"amount": _("A credit grant must be more than 0 KRW.")}, code="not_positive")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Write down why this credit is granted.")}, code="required")
    # The same lock as an invoice consuming credit, so the ledger is written in one order.
    get_user_model().objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).get()
    credit = CustomerCredit.objects.create(customer=customer, amount=amount, reason=reason[:200], granted_by=by)
    logger.info("granted %d KRW of credit to customer %s", amount, customer.pk)
    return credit
