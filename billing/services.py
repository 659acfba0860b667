"""Invoices and credits (SPEC 3, 5.5): a pure invoice builder, and the services that issue and store invoices.

The builder (`build_period_invoice`) takes plain data and returns an unsaved draft, so the lifecycle jobs can
compute the invoices of a whole chunk of subscriptions and store them in bulk; the services below compute
one subscription's invoice under its row lock, which the caller holds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from subscriptions.models import Reservation, Subscription
from works_console.dates import kst_date
from workspaces.models import Member

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


# --- issuing for a whole chunk of the lifecycle jobs (SPEC 6: a bounded number of queries per chunk) ------------
#
# The jobs claim up to ~1,000 subscriptions per transaction (subscriptions.services.jobs). Issuing their invoices
# one by one costs about ten queries per subscription; the functions below read what every invoice of the chunk
# needs in a fixed number of queries (segments, member counts, pending cancellations, invoices already issued,
# credit balances), compute the drafts with the same pure builder as the per-row path, and write them with one
# INSERT per table and one UPDATE of the subscriptions. The number of periods caught up only changes the Python
# work, never the number of queries.


def update_rows(model: type[models.Model], changes: Mapping[int, Mapping[str, Any]]) -> int:
    """Give each row its own values in ONE UPDATE: ``{pk: {field: value}}`` (STYLE: set-based writes).

    Each field becomes ``CASE WHEN pk IN (...) THEN value ... ELSE field END`` with one WHEN per distinct value,
    not per row: a chunk usually shares a few dates, and PostgreSQL hashes long IN lists, so the cost stays linear.
    """
    if not changes:
        return 0
    names = sorted({name for values in changes.values() for name in values})
    assignments = {}
    for name in names:
        model_field = model._meta.get_field(name)
        output_field = model_field.target_field if model_field.is_relation else model_field
        pks_by_value: dict[Any, list[int]] = {}
        for pk, values in changes.items():
            if name in values:
                pks_by_value.setdefault(values[name], []).append(pk)
        assignments[model_field.attname] = Case(
            *(When(pk__in=pks, then=Value(value, output_field=output_field)) for value, pks in pks_by_value.items()),
            default=F(model_field.attname),
            output_field=output_field,
        )
    return model.objects.filter(pk__in=list(changes)).update(**assignments)


@dataclass(slots=True)
class _Planned:
    """One invoice the chunk will issue, with the inputs of the builder, and the probe built without credit."""

    subscription: Any
    segments: list[BillableSegment]
    period: BillingPeriod
    members: int
    probe: InvoiceDraft
    usage_until: date | None = None
    penalty: PenaltyBreakdown | None = None
    is_final: bool = False


@dataclass
class ChunkInvoices:
    """What issuing a chunk's invoices did, per subscription (the caller writes the subscription rows)."""

    # Subscription id -> its next_period_index after this call, for the subscriptions whose index moved.
    next_period_index: dict[int, int] = field(default_factory=dict)
    # Invoices inserted by this call, in the order the per-row path would have issued them.
    issued: list[Invoice] = field(default_factory=list)
    # Periods found already invoiced (the per-row path returns those as done too).
    already_issued: int = 0
    # Subscription id -> public id of its final invoice (inserted now or found), or None when nothing was billed.
    final_invoice: dict[int, str | None] = field(default_factory=dict)

    @property
    def closed(self) -> int:
        """Periods closed: invoiced now or found invoiced (what ``invoice_issue_due`` would have returned)."""
        return len([invoice for invoice in self.issued if not invoice.is_final]) + self.already_issued


def _segments_of_chunk(
    subscription_ids: Sequence[int], *, start: date, end_exclusive: date
) -> dict[int, list[BillableSegment]]:
    """Every rate segment of the chunk overlapping ``[start, end_exclusive)``, per subscription (one query),
    ordered as ``billable_segments`` orders them."""
    rows = (
        RateSegment.objects.filter(subscription_id__in=subscription_ids, starts_on__lt=end_exclusive)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=start))
        .select_related("plan")
        .order_by("subscription_id", "starts_on", "id")
    )
    segments: dict[int, list[BillableSegment]] = {}
    for row in rows:
        segments.setdefault(row.subscription_id, []).append(BillableSegment.from_rate_segment(row))
    return segments


def _overlapping(segments: Sequence[BillableSegment], start: date, end_exclusive: date) -> list[BillableSegment]:
    """The filter of ``billable_segments``, in Python over the chunk's segments."""
    return [s for s in segments if s.starts_on < end_exclusive and (s.ends_on is None or s.ends_on > start)]


def workspace_member_counts(workspace_ids: set[int]) -> dict[int, int]:
    """Members registered now per workspace, the admin account included (SPEC 3), in one aggregate.

    ``billing.selectors.workspace_member_count`` for many workspaces; a workspace without members is absent.
    """
    rows = (
        Member.objects.live()
        .filter(workspace_id__in=workspace_ids)
        .order_by()
        .values("workspace_id")
        .annotate(count=Count("pk"))
        .values_list("workspace_id", "count")
    )
    return dict(rows)


def pending_cancellation_dates(subscription_ids: Sequence[int]) -> dict[int, date]:
    """The date of each subscription's pending cancellation (SPEC 4: at most one), in one query."""
    dates: dict[int, date] = {}
    rows = Reservation.objects.filter(
        subscription_id__in=subscription_ids, kind=Reservation.Kind.CANCELLATION, state=Reservation.State.PENDING
    ).values_list("subscription_id", "effective_on")
    for subscription_id, effective_on in rows:
        dates[subscription_id] = min(effective_on, dates.get(subscription_id, effective_on))
    return dates


def _invoices_from_next_period(subscription_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    """Invoices already issued at or after each subscription's ``next_period_index``: ``(id, period) -> public id``.

    Normally none; the per-row path treats such a period as done (and moves past it), so the chunk does too.
    """
    rows = Invoice.objects.filter(
        subscription_id__in=subscription_ids, period_index__gte=F("subscription__next_period_index")
    ).values_list("subscription_id", "period_index", "public_id")
    return {(subscription_id, period_index): public_id for subscription_id, period_index, public_id in rows}


def _lock_customer_credits(customer_ids: set[int]) -> dict[int, int]:
    """Lock the customers' rows and read their credit balances, in one query (see ``_lock_customer_credit``).

    The rows are locked in id order, so two workers locking overlapping sets of customers cannot deadlock.
    """
    balance = (
        CustomerCredit.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        get_user_model()
        .objects.select_for_update()
        .filter(pk__in=customer_ids)
        .order_by("pk")
        .annotate(balance=Coalesce(Subquery(balance), Value(0), output_field=models.BigIntegerField()))
        .values_list("pk", "balance")
    )
    return dict(rows)


def _issue_chunk(
    subscriptions: Sequence,
    *,
    now: datetime,
    finals: Mapping[int, tuple[date, PenaltyBreakdown | None]] | None = None,
) -> ChunkInvoices:
    """Issue the ended periods of the chunk's subscriptions, and the final invoices of ``finals``
    (``{subscription id: (cancellation date, penalty)}``), as the per-row path would, in bounded queries.

    Mirrors ``invoice_issue_due`` (and ``invoice_issue_final`` for ``finals``) period by period: a period already
    invoiced is done; the walk stops at a period that has not ended (KST), that starts on or after the service's
    end, that a pending cancellation due on or before its end leaves to the final invoice, or that has nothing to
    bill (after moving past it). Credit is consumed subscription by subscription and period by period, in the
    order of ``subscriptions``, so every amount equals the per-row path's. The caller holds the row locks and
    writes the subscriptions (``next_period_index``) from the result. Raises IntegrityError when the unique
    constraint (subscription, period) refuses an insert; nothing of the chunk is then kept (savepoint).
    """
    finals = finals or {}
    today = kst_date(now)
    result = ChunkInvoices()
    paid = [subscription for subscription in subscriptions if subscription.paid_start is not None]
    if not paid:
        return result

    # Which periods each subscription may close: plain date arithmetic, no query yet.
    candidates: dict[int, list[BillingPeriod]] = {}
    final_periods: dict[int, BillingPeriod] = {}
    for subscription in paid:
        before = None
        if subscription.pk in finals:
            before = finals[subscription.pk][0]
            if before < subscription.paid_start:
                raise ValueError(f"cancellation date {before} is before the paid start {subscription.paid_start}")
            final_periods[subscription.pk] = period_containing(subscription.paid_start, before)
        periods = []
        index = subscription.next_period_index
        while True:
            period = period_bounds(subscription.paid_start, index)
            if period.end >= today or (before is not None and period.end >= before):
                break
            periods.append(period)
            index += 1
        candidates[subscription.pk] = periods
    spans = [(period.start, period.next_start) for periods in candidates.values() for period in periods] + [
        (period.start, finals[pk][0]) for pk, period in final_periods.items()
    ]
    if not spans:
        return result

    ids = [subscription.pk for subscription in paid]
    cancellations = pending_cancellation_dates(ids) if len(final_periods) < len(paid) else {}
    existing = _invoices_from_next_period(ids)
    segments = _segments_of_chunk(
        ids, start=min(start for start, _end in spans), end_exclusive=max(end for _start, end in spans)
    )
    monthly_workspaces = {
        subscription.workspace_id
        for subscription in paid
        if subscription.workspace_id is not None
        and any(segment.quantity is None for segment in segments.get(subscription.pk, ()))
    }
    members = workspace_member_counts(monthly_workspaces) if monthly_workspaces else {}
    rate = vat_rate()

    def draft_for(subscription, period: BillingPeriod, **final) -> _Planned:
        end_exclusive = final.get("usage_until") or period.next_start
        billed = _overlapping(segments.get(subscription.pk, ()), period.start, end_exclusive)
        has_monthly = any(segment.quantity is None for segment in billed)
        count = members.get(subscription.workspace_id, 0) if has_monthly else 0
        probe = build_period_invoice(segments=billed, period=period, members=count, vat_rate=rate, **final)
        return _Planned(subscription=subscription, segments=billed, period=period, members=count, probe=probe, **final)

    planned: list[_Planned] = []
    for subscription in paid:
        next_index = subscription.next_period_index
        for period in candidates[subscription.pk]:
            if (subscription.pk, period.index) in existing:
                result.already_issued += 1
                next_index = max(next_index, period.index + 1)
                continue
            if subscription.terminated_on is not None and period.start >= subscription.terminated_on:
                break
            cancellation_date = cancellations.get(subscription.pk)
            if cancellation_date is not None and cancellation_date <= period.end:
                break  # left to the cancellation's final invoice (SPEC 5.5)
            item = draft_for(subscription, period)
            next_index = max(next_index, period.index + 1)
            if item.probe.is_empty:
                break
            planned.append(item)
        if subscription.pk in final_periods:
            period = final_periods[subscription.pk]
            found = existing.get((subscription.pk, period.index))
            if found is not None:
                result.final_invoice[subscription.pk] = found
            else:
                cancellation_date, penalty = finals[subscription.pk]
                item = draft_for(subscription, period, usage_until=cancellation_date, penalty=penalty, is_final=True)
                if item.probe.is_empty:
                    result.final_invoice[subscription.pk] = None
                else:
                    planned.append(item)
                    next_index = period.index + 1
        if next_index != subscription.next_period_index:
            result.next_period_index[subscription.pk] = next_index

    if planned:
        result.issued = _store_chunk(planned, issued_on=today, vat_rate=rate)
        for invoice in result.issued:
            if invoice.is_final:
                result.final_invoice[invoice.subscription_id] = invoice.public_id
    return result


def _store_chunk(planned: list[_Planned], *, issued_on: date, vat_rate: Fraction) -> list[Invoice]:
    """Spend credit in order, then insert the invoices, their lines and their uses of credit: one INSERT each.

    As in ``_issue``, a customer's credit is read (under its row lock) only for invoices that owe something, and
    settles usage lines only (SPEC 3). All in a savepoint, so an IntegrityError leaves nothing behind.
    """
    owing = {item.subscription.customer_id for item in planned if item.probe.totals.subtotal > 0}
    balances = _lock_customer_credits(owing) if owing else {}
    drafts: list[tuple[_Planned, InvoiceDraft]] = []
    for item in planned:
        customer_id = item.subscription.customer_id
        credit = max(balances.get(customer_id, 0), 0) if item.probe.totals.subtotal > 0 else 0
        draft = item.probe
        if credit:
            draft = build_period_invoice(
                segments=item.segments,
                period=item.period,
                members=item.members,
                vat_rate=vat_rate,
                credit_available=credit,
                usage_until=item.usage_until,
                penalty=item.penalty,
                is_final=item.is_final,
            )
            balances[customer_id] -= draft.totals.credit_applied
        drafts.append((item, draft))

    with transaction.atomic():
        invoices = Invoice.objects.bulk_create(
            draft.to_invoice(
                subscription_id=item.subscription.pk, customer_id=item.subscription.customer_id, issued_on=issued_on
            )
            for item, draft in drafts
        )
        InvoiceLine.objects.bulk_create(
            line for invoice, (_item, draft) in zip(invoices, drafts, strict=True) for line in draft.to_lines(invoice)
        )
        credits = [
            CustomerCredit(
                customer_id=invoice.customer_id,
                amount=-invoice.credit_applied,
                reason=f"Applied to invoice {invoice.public_id}",
                invoice=invoice,
            )
            for invoice in invoices
            if invoice.credit_applied
        ]
        if credits:
            CustomerCredit.objects.bulk_create(credits)
    return invoices


def _next_invoice_on(subscription, next_index: int) -> date | None:
    """As ``_advance``: the day the next period's invoice is due; none once the service has ended."""
    if subscription.terminated_on is not None:
        return None
    return period_bounds(subscription.paid_start, next_index).next_start


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def invoice_issue_due_many(*, subscriptions: Sequence, now: datetime) -> int:
    """``invoice_issue_due`` for a chunk of the renewal job (SPEC 3, 6); the caller holds the rows' locks.

    Issues every ended, not yet invoiced period of each subscription, in a number of queries that does not
    depend on the number of subscriptions nor of periods, then moves ``next_period_index`` and
    ``next_invoice_on`` of all of them in one UPDATE (and on the given objects, as ``_advance`` does). A period
    with a cancellation due on or before its end is left to the final invoice. Should the unique constraint
    (subscription, period) refuse the insert, nothing of it is kept and the chunk is issued row by row instead,
    where an invoice already there counts as done. Returns the number of periods closed (invoiced now or found
    invoiced), as the per-row path counts them.
    """
    try:
        result = _issue_chunk(subscriptions, now=now)
    except IntegrityError:
        logger.warning("invoices of a chunk of %d hit the unique guard: issuing row by row", len(subscriptions))
        return sum(len(invoice_issue_due(subscription=subscription, now=now)) for subscription in subscriptions)
    changes = {}
    for subscription in subscriptions:
        next_index = result.next_period_index.get(subscription.pk)
        if next_index is None:
            continue
        due_on = _next_invoice_on(subscription, next_index)
        subscription.next_period_index, subscription.next_invoice_on = next_index, due_on
        changes[subscription.pk] = {"next_period_index": next_index, "next_invoice_on": due_on}
    update_rows(Subscription, changes)
    logger.info("issued %d invoices for %d subscriptions", len(result.issued), len(subscriptions))
    return result.closed


def invoice_issue_final_many(
    *, finals: Sequence[tuple[Any, date, PenaltyBreakdown | None]], now: datetime
) -> ChunkInvoices:
    """``invoice_issue_final`` for a chunk of the cancellation job (SPEC 5.5, 6): ``(subscription, cancellation
    date, penalty)`` each, the caller holding the locks.

    Issues the ended periods not yet invoiced before each cancellation date, then each final invoice, in bounded
    queries. Does not write the subscriptions: the caller ends the service and stores ``next_period_index`` from
    the result with the rest. Raises IntegrityError if the unique guard refuses an insert (nothing kept).
    """
    subscriptions = [subscription for subscription, _on, _penalty in finals]
    return _issue_chunk(
        subscriptions, now=now, finals={subscription.pk: (on, penalty) for subscription, on, penalty in finals}
    )


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
