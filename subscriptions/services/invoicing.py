"""The lifecycle's side of invoicing (SPEC 3, 5.5, 6): what billing needs to know of locked subscriptions.

Billing (``billing.services.invoice_issue_many``) computes and stores invoices and never reads reservations nor
workspaces: this passes it the members registered at each period's close and the pending cancellation dates,
and hands back the subscription fields its result moves, for the caller to write with its own changes.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from billing.periods import period_bounds
from billing.pricing import PenaltyBreakdown
from billing.services import (
    BillingFacts,
    IssuedInvoices,
    PreviewedInvoice,
    PreviewLedger,
    closing_days,
    invoice_issue_many,
    invoice_preview_many,
)
from works_console.dates import kst_midnight
from workspaces.selectors import member_counts, member_counts_at

from ..models import Reservation, Subscription


def pending_cancellation_dates(subscription_ids: Sequence[int]) -> dict[int, date]:
    """The date of each subscription's pending cancellation (SPEC 4: at most one), in one query."""
    dates: dict[int, date] = {}
    rows = Reservation.objects.filter(
        subscription_id__in=list(subscription_ids),
        kind=Reservation.Kind.CANCELLATION,
        state=Reservation.State.PENDING,
    ).values_list("subscription_id", "effective_on")
    for subscription_id, effective_on in rows:
        dates[subscription_id] = min(effective_on, dates.get(subscription_id, effective_on))
    return dates


def members_of(subscriptions: Sequence[Subscription]) -> dict[int, int]:
    """Members registered now per subscription id (SPEC 3), in one query; a purged workspace has none."""
    counts = member_counts({subscription.workspace_id for subscription in subscriptions})
    return {subscription.pk: counts.get(subscription.workspace_id, 0) for subscription in subscriptions}


def members_at_close(
    subscriptions: Sequence[Subscription], closing: Mapping[int, Sequence[date]]
) -> dict[tuple[int, date], int]:
    """The members registered at 00:00 KST of each closing day, ``{(subscription id, day): count}`` (SPEC 3: the
    quantity of a monthly period is counted at its end instant, whenever the job runs), in one query."""
    workspace_of = {subscription.pk: subscription.workspace_id for subscription in subscriptions}
    counts = member_counts_at(
        workspace_ids={workspace_of[pk] for pk in closing},
        instants={kst_midnight(day) for days in closing.values() for day in days},
    )
    return {
        (pk, day): counts.get((workspace_of[pk], kst_midnight(day)), 0) for pk, days in closing.items() for day in days
    }


def _billing_facts(
    subscriptions: Sequence[Subscription],
    *,
    now: datetime,
    finals: Mapping[int, tuple[date, PenaltyBreakdown | None]],
    cancellations: Mapping[int, date] | None,
) -> tuple[list[Subscription], BillingFacts]:
    """The paid subscriptions, and what billing needs to know of them as of ``now``: the members registered at
    each period's close (``closing_days``), the pending cancellation dates (unless given), the final invoices to
    issue. The one source of facts of both the issue and the dry-run preview."""
    paid = [subscription for subscription in subscriptions if subscription.paid_start is not None]
    if not paid:
        return [], BillingFacts()
    others = [subscription.pk for subscription in paid if subscription.pk not in finals]
    if not others:
        cancellations = {}
    return paid, BillingFacts(
        members=members_at_close(paid, closing_days(subscriptions=paid, now=now, finals=finals)),
        cancellations=cancellations if cancellations is not None else pending_cancellation_dates(others),
        finals=finals,
    )


def preview_invoices(
    subscriptions: Sequence[Subscription],
    *,
    now: datetime,
    finals: Mapping[int, tuple[date, PenaltyBreakdown | None]] | None = None,
    ledger: PreviewLedger | None = None,
) -> list[PreviewedInvoice]:
    """The invoices ``issue_invoices`` would issue for these subscriptions as of ``now``, with the same facts
    and billing's same walk, read without a lock and writing nothing (SPEC 11: the dry-run preview); ``ledger``
    carries what the preview's earlier jobs issued."""
    paid, facts = _billing_facts(subscriptions, now=now, finals=finals or {}, cancellations=None)
    return invoice_preview_many(subscriptions=paid, now=now, facts=facts, ledger=ledger) if paid else []


def issue_invoices(
    subscriptions: Sequence[Subscription],
    *,
    now: datetime,
    finals: Mapping[int, tuple[date, PenaltyBreakdown | None]] | None = None,
    cancellations: Mapping[int, date] | None = None,
) -> tuple[IssuedInvoices, dict[int, dict[str, Any]]]:
    """Issue every ended period of the locked subscriptions, and the final invoices of ``finals`` (``{id: (the
    date the service stops, penalty)}``), in a fixed number of queries (SPEC 3, 5.5, 6).

    Returns billing's result and the fields that moved, ``{id: {"next_period_index", "next_invoice_on"}}``, set
    on the objects already; the caller writes them (``works_console.db.update_rows``) with its other changes.
    ``next_invoice_on`` is the day the next period's invoice is due (its end + 1), none once the service ends.
    ``cancellations`` is the pending cancellation dates when the caller read them already.
    """
    finals = finals or {}
    paid, facts = _billing_facts(subscriptions, now=now, finals=finals, cancellations=cancellations)
    if not paid:
        return IssuedInvoices(), {}
    result = invoice_issue_many(subscriptions=paid, now=now, facts=facts)
    changes = {}
    for subscription in paid:
        next_index = result.next_period_index.get(subscription.pk)
        if next_index is None:
            continue
        ends = subscription.terminated_on is not None or subscription.pk in finals
        due_on = None if ends else period_bounds(subscription.paid_start, next_index).next_start
        subscription.next_period_index, subscription.next_invoice_on = next_index, due_on
        changes[subscription.pk] = {"next_period_index": next_index, "next_invoice_on": due_on}
    return result, changes
