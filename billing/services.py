"""Issuing invoices and granting credit (SPEC 3, 5.5, 6): billing computes money and stores invoices.

One function issues invoices, ``invoice_issue_many``, over a list of subscriptions whose row locks the caller
holds: the renewal job's chunk, the cancellation job's chunk, or a view's batch of one. It never reads
reservations nor writes subscriptions: the lifecycle (``subscriptions.services.invoicing``) passes what it
knows (the members registered at each period's close, the pending cancellation dates, the final invoices to
issue) and writes back what this returns. The drafts come from the pure builder (``billing.invoices``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from works_console.dates import kst_date
from works_console.db import insert_rows

from .invoices import BillableSegment, InvoiceDraft, build_period_invoice
from .models import CustomerCredit, DocumentKind, Invoice, InvoiceLine, RateSegment, new_public_id
from .numbers import numbers_for
from .periods import BillingPeriod, period_bounds, period_containing
from .pricing import PenaltyBreakdown, parse_rate
from .selectors import credit_balance_of, credit_balances

logger = logging.getLogger(__name__)


def vat_rate() -> Fraction:
    return parse_rate(settings.VAT_RATE)


@dataclass(slots=True)
class _Planned:
    """One invoice to issue, with the inputs of the builder, and the probe built without credit."""

    subscription: object
    segments: list[BillableSegment]
    period: BillingPeriod
    members: int
    probe: InvoiceDraft
    usage_until: date | None = None
    penalty: PenaltyBreakdown | None = None
    is_final: bool = False


@dataclass
class IssuedInvoices:
    """What ``invoice_issue_many`` did, per subscription (the caller writes the subscription rows)."""

    # Subscription id -> its next period to invoice after this call, for the subscriptions whose index moved.
    next_period_index: dict[int, int] = field(default_factory=dict)
    # Invoices inserted by this call, subscription by subscription and period by period.
    issued: list[IssuedInvoice] = field(default_factory=list)
    # Periods found already invoiced: done as well.
    already_issued: int = 0
    # Subscription id -> public id of its final invoice (inserted now or found), or None when nothing was billed.
    final_invoice: dict[int, str | None] = field(default_factory=dict)

    @property
    def closed(self) -> int:
        """Billing periods closed: invoiced now or found invoiced (final invoices not counted)."""
        return len([invoice for invoice in self.issued if not invoice.is_final]) + self.already_issued


@dataclass(frozen=True)
class BillingFacts:
    """What billing needs to know of the subscriptions it bills and never reads itself: the lifecycle
    (``subscriptions.services.invoicing``) gathers it, for the issue and the dry-run preview alike.

    ``members``, ``{(subscription id, closing day): count}``: the members registered at 00:00 KST of each day of
    ``closing_days`` (the quantity of a monthly segment in the period that ends then, SPEC 3; absent is 0). Per
    subscription id, ``cancellations``: the date of a pending cancellation; ``finals``: ``(cancellation date,
    penalty)`` of a service that stops now.
    """

    members: Mapping[tuple[int, date], int] = field(default_factory=dict)
    cancellations: Mapping[int, date] = field(default_factory=dict)
    finals: Mapping[int, tuple[date, PenaltyBreakdown | None]] = field(default_factory=dict)


def _segments_of(
    subscription_ids: Sequence[int], *, start: date, end_exclusive: date
) -> dict[int, list[BillableSegment]]:
    """Every rate segment of the subscriptions overlapping ``[start, end_exclusive)``, per subscription."""
    rows = (
        RateSegment.objects.filter(subscription_id__in=subscription_ids, starts_on__lt=end_exclusive)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=start))
        .order_by("subscription_id", "starts_on", "id")
        .values_list("subscription_id", "plan__name_en", "plan__name", *SEGMENT_VALUES)
    )
    segments: dict[int, list[BillableSegment]] = {}
    for subscription_id, name_en, name, *values in rows:
        # The stored name is the catalogue's English one (BillableSegment.from_rate_segment), read as values.
        segment = BillableSegment(name_en or name, *values)
        segments.setdefault(subscription_id, []).append(segment)
    return segments


# BillableSegment's fields after the plan's name, in their order.
SEGMENT_VALUES = ("contract_type", "unit_price", "list_unit_price", "quantity", "starts_on", "ends_on", "plan_id")


def _overlapping(segments: Sequence[BillableSegment], start: date, end_exclusive: date) -> list[BillableSegment]:
    return [s for s in segments if s.starts_on < end_exclusive and (s.ends_on is None or s.ends_on > start)]


def _invoices_from_next_period(subscription_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    """Invoices already issued at or after each subscription's next period: ``(id, period) -> public id``.

    Normally none; such a period counts as done and the walk moves past it.
    """
    rows = Invoice.objects.filter(
        subscription_id__in=subscription_ids, period_index__gte=F("subscription__next_period_index")
    ).values_list("subscription_id", "period_index", "public_id")
    return {(subscription_id, period_index): public_id for subscription_id, period_index, public_id in rows}


def _lock_customers(customer_ids: set[int]) -> None:
    """Lock the customers' rows in id order (two workers locking overlapping sets cannot deadlock).

    An invoice spending credit and a credit grant take the same locks, so the ledger is written in one order.
    """
    list(get_user_model().objects.select_for_update().filter(pk__in=customer_ids).order_by("pk").values_list("pk"))


def _lock_customer_credits(customer_ids: set[int]) -> dict[int, int]:
    """Lock the customers' rows and read their credit balances, in one query (see ``_lock_customers``)."""
    rows = (
        get_user_model()
        .objects.select_for_update()
        .filter(pk__in=customer_ids)
        .order_by("pk")
        .annotate(balance=credit_balance_of(OuterRef("pk")))
        .values_list("pk", "balance")
    )
    return dict(rows)


def _periods_to_close(subscription, *, today: date, before: date | None) -> list[BillingPeriod]:
    """The periods from ``next_period_index`` that have ended (KST) and, given ``before``, end before it."""
    periods = []
    index = subscription.next_period_index
    while True:
        period = period_bounds(subscription.paid_start, index)
        if period.end >= today or (before is not None and period.end >= before):
            return periods
        periods.append(period)
        index += 1


def _periods_to_bill(
    paid: Sequence, *, today: date, finals: Mapping[int, tuple[date, PenaltyBreakdown | None]]
) -> tuple[dict[int, list[BillingPeriod]], dict[int, BillingPeriod]]:
    """Which periods each subscription may close, and the period of each final invoice: date arithmetic only."""
    candidates: dict[int, list[BillingPeriod]] = {}
    final_periods: dict[int, BillingPeriod] = {}
    for subscription in paid:
        before = None
        if subscription.pk in finals:
            before = finals[subscription.pk][0]
            if before < subscription.paid_start:
                raise ValueError(f"cancellation date {before} is before the paid start {subscription.paid_start}")
            final_periods[subscription.pk] = period_containing(subscription.paid_start, before)
        candidates[subscription.pk] = _periods_to_close(subscription, today=today, before=before)
    return candidates, final_periods


def closing_days(
    *,
    subscriptions: Sequence,
    now: datetime,
    finals: Mapping[int, tuple[date, PenaltyBreakdown | None]] | None = None,
) -> dict[int, list[date]]:
    """The KST days whose 00:00 closes a period that ``invoice_issue_many`` may bill now, per subscription id:
    each ended period's next start, and the date a final invoice's usage ends (SPEC 3: the quantity of a monthly
    period is the members registered at that instant). The caller counts the members there for ``members``."""
    finals = finals or {}
    paid = [subscription for subscription in subscriptions if subscription.paid_start is not None]
    candidates, final_periods = _periods_to_bill(paid, today=kst_date(now), finals=finals)
    days = {pk: [period.next_start for period in periods] for pk, periods in candidates.items()}
    for pk in final_periods:
        days[pk].append(finals[pk][0])
    return {pk: closes for pk, closes in days.items() if closes}


def invoice_plan_many(
    *, subscriptions: Sequence, now: datetime, facts: BillingFacts
) -> tuple[IssuedInvoices, list[_Planned]]:
    """What ``invoice_issue_many`` issues, computed without a lock and without writing anything: the periods
    found issued and the next period indexes, and each invoice to insert with its probe built without credit.

    The one walk over the periods that both the issue and the dry-run preview (``invoice_preview_many``) use.
    """
    members, cancellations, finals = facts.members, facts.cancellations, facts.finals
    today = kst_date(now)
    result = IssuedInvoices()
    paid = [subscription for subscription in subscriptions if subscription.paid_start is not None]

    # Which periods each subscription may close: plain date arithmetic, no query yet.
    candidates, final_periods = _periods_to_bill(paid, today=today, finals=finals)
    spans = [(period.start, period.next_start) for periods in candidates.values() for period in periods] + [
        (period.start, finals[pk][0]) for pk, period in final_periods.items()
    ]
    if not spans:
        return result, []

    ids = [subscription.pk for subscription in paid]
    existing = _invoices_from_next_period(ids)
    segments = _segments_of(
        ids, start=min(start for start, _end in spans), end_exclusive=max(end for _start, end in spans)
    )
    rate = vat_rate()

    def draft_for(subscription, period: BillingPeriod, **final) -> _Planned:
        end_exclusive = final.get("usage_until") or period.next_start
        billed = _overlapping(segments.get(subscription.pk, ()), period.start, end_exclusive)
        # A monthly segment bills the members registered when the period (or the usage) ends (SPEC 3).
        monthly = any(segment.quantity is None for segment in billed)
        count = members.get((subscription.pk, end_exclusive), 0) if monthly else 0
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

    return result, planned


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def invoice_issue_many(*, subscriptions: Sequence, now: datetime, facts: BillingFacts) -> IssuedInvoices:
    """Issue the ended periods of the subscriptions, and the final invoices of ``facts.finals`` (SPEC 3, 5.5, 6).

    The caller holds the subscriptions' row locks and passes what it knows of them (``BillingFacts``). For each
    subscription, period by period from ``next_period_index``: a period already invoiced is done; the walk stops at
    a period that has not ended (KST), that starts on or after the service's end, that a pending cancellation due
    on or before its end leaves to the final invoice, or that has nothing to bill (after moving past it). Then the
    final invoice: the usage from its period's start up to the day before the cancellation date (prorated over the
    full period) plus the penalty line. Credit is consumed in the order of ``subscriptions``, period by period.

    A number of queries that depends neither on the number of subscriptions nor of periods. Returns what it did;
    the caller stores ``next_period_index``. Raises IntegrityError when the unique constraint (subscription,
    period) refuses an insert: nothing of the call is then kept (savepoint), the job retries the rows one by one.
    """
    result, planned = invoice_plan_many(subscriptions=subscriptions, now=now, facts=facts)
    if planned:
        result.issued = _store(planned, issued_on=kst_date(now), vat_rate=vat_rate())
        for invoice in result.issued:
            if invoice.is_final:
                result.final_invoice[invoice.subscription_id] = invoice.public_id
    logger.info("issued %d invoices for %d subscriptions", len(result.issued), len(subscriptions))
    return result


def _spend_credit(
    planned: list[_Planned], *, balances: dict[int, int], vat_rate: Fraction
) -> list[tuple[_Planned, InvoiceDraft]]:
    """The final drafts: each customer's credit spent in order, on invoices that owe something (SPEC 3).

    ``balances`` (customer id -> credit balance) is consumed as the drafts use it.
    """
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
    return drafts


@dataclass(frozen=True)
class PreviewedInvoice:
    """An invoice a job would issue now: for whom, and its draft (lines, totals) as the job would store it."""

    subscription_id: int
    draft: InvoiceDraft


@dataclass
class PreviewLedger:
    """What a preview has issued so far, for the jobs after it in the same preview: a real run's renewal job
    issues a period and spends credit before the cancellation job runs."""

    issued: set[tuple[int, int]] = field(default_factory=set)  # (subscription id, period index)
    credit_spent: dict[int, int] = field(default_factory=dict)  # customer id -> KRW


def invoice_preview_many(
    *, subscriptions: Sequence, now: datetime, facts: BillingFacts, ledger: PreviewLedger | None = None
) -> list[PreviewedInvoice]:
    """The invoices ``invoice_issue_many`` would issue with these arguments, by the same walk
    (``invoice_plan_many``) and the same spending of credit, read without a lock, writing nothing (SPEC 11:
    the dry-run preview). In a bounded number of queries.

    ``ledger`` carries what the preview's earlier calls issued: those periods count as issued (as the walk
    treats an invoice found), and the credit they spent is gone; the call adds its own to it.
    """
    ledger = ledger if ledger is not None else PreviewLedger()
    _result, planned = invoice_plan_many(subscriptions=subscriptions, now=now, facts=facts)
    planned = [item for item in planned if (item.subscription.pk, item.period.index) not in ledger.issued]
    if not planned:
        return []
    owing = {item.subscription.customer_id for item in planned if item.probe.totals.subtotal > 0}
    balances = credit_balances(owing) if owing else {}
    for customer_id in balances:
        balances[customer_id] -= ledger.credit_spent.get(customer_id, 0)
    previewed = []
    for item, draft in _spend_credit(planned, balances=balances, vat_rate=vat_rate()):
        ledger.issued.add((item.subscription.pk, item.period.index))
        customer_id = item.subscription.customer_id
        ledger.credit_spent[customer_id] = ledger.credit_spent.get(customer_id, 0) + draft.totals.credit_applied
        previewed.append(PreviewedInvoice(subscription_id=item.subscription.pk, draft=draft))
    return previewed


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    """An invoice ``invoice_issue_many`` inserted: its row's id and what the callers read of it."""

    id: int
    public_id: str
    number: str
    subscription_id: int
    customer_id: int
    period_index: int
    is_final: bool
    total: int
    credit_applied: int


INVOICE_FIELDS = (
    "public_id",
    "number",
    "subscription",
    "customer",
    "period_index",
    "period_start",
    "period_end",
    "issued_on",
    "is_final",
    "subtotal",
    "credit_applied",
    "vat",
    "total",
    "created_at",
)
LINE_FIELDS = (
    "invoice",
    "kind",
    "description",
    "amount",
    "plan_name",
    "contract_type",
    "unit_price",
    "quantity",
    "days",
    "period_days",
    "plan",
    "starts_on",
    "ends_on",
    "cancellation_date",
)
CREDIT_USE_FIELDS = ("customer", "amount", "reason", "invoice", "created_at")


def _store(planned: list[_Planned], *, issued_on: date, vat_rate: Fraction) -> list[IssuedInvoice]:
    """Take a block of numbers, spend credit in order, then insert the invoices, their lines and their uses of
    credit: one statement each, from plain values (``works_console.db.insert_rows``).

    A customer's credit is read (under its row lock) only for invoices that owe something, and settles usage
    lines only (SPEC 3). All in a savepoint, so an IntegrityError leaves nothing behind.
    """
    owing = {item.subscription.customer_id for item in planned if item.probe.totals.subtotal > 0}
    with transaction.atomic():
        # The numbers first (SPEC 12): the counter row is then the first lock every issuing transaction takes
        # after its subscriptions, before the customers', so two of them can never wait for each other; and a
        # rollback of this savepoint takes the numbers back with everything else.
        numbers = numbers_for(kind=DocumentKind.INVOICE, issued_on=[issued_on] * len(planned))
        balances = _lock_customer_credits(owing) if owing else {}
        drafts = _spend_credit(planned, balances=balances, vat_rate=vat_rate)
        created_at = timezone.now()
        rows = []
        for (item, draft), number in zip(drafts, numbers, strict=True):
            totals = draft.totals
            rows.append(
                (
                    new_public_id(),
                    number,
                    item.subscription.pk,
                    item.subscription.customer_id,
                    draft.period_index,
                    draft.period_start,
                    draft.period_end,
                    issued_on,
                    draft.is_final,
                    totals.subtotal,
                    totals.credit_applied,
                    totals.vat,
                    totals.total,
                    created_at,
                )
            )
        ids = insert_rows(Invoice, INVOICE_FIELDS, rows, returning="id")
        invoices = [
            IssuedInvoice(
                id=invoice_id,
                public_id=row[0],
                number=row[1],
                subscription_id=row[2],
                customer_id=row[3],
                period_index=row[4],
                is_final=row[8],
                total=row[12],
                credit_applied=row[10],
            )
            for invoice_id, row in zip(ids, rows, strict=True)
        ]
        insert_rows(
            InvoiceLine,
            LINE_FIELDS,
            (
                (invoice.id, *astuple_line(line))
                for invoice, (_item, draft) in zip(invoices, drafts, strict=True)
                for line in draft.lines
            ),
        )
        insert_rows(
            CustomerCredit,
            CREDIT_USE_FIELDS,
            (
                (
                    invoice.customer_id,
                    -invoice.credit_applied,
                    f"Applied to invoice {invoice.public_id}",
                    invoice.id,
                    created_at,
                )
                for invoice in invoices
                if invoice.credit_applied
            ),
        )
    return invoices


def astuple_line(line) -> tuple:
    """A LineDraft's values in the order of LINE_FIELDS after the invoice."""
    return (
        line.kind,
        line.description,
        line.amount,
        line.plan_name,
        line.contract_type,
        line.unit_price,
        line.quantity,
        line.days,
        line.period_days,
        line.plan_id,
        line.starts_on,
        line.ends_on,
        line.cancellation_date,
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
    _lock_customers({customer.pk})
    credit = CustomerCredit.objects.create(customer=customer, amount=amount, reason=reason[:200], granted_by=by)
    logger.info("granted %d KRW of credit to customer %s", amount, customer.pk)
    return credit
