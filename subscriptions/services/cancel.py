"""Cancellation (SPEC 5.5, 5.6): now or reserved, its withdrawal, its execution by the job, and the penalty.

Every service here locks the subscription first (core.lock_subscription), re-checks the rules on the locked
row, and writes its lifecycle events in the same transaction.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext as _

from billing.models import ContractType, RateSegment
from billing.pricing import PenaltyBreakdown, SegmentTerms, early_termination_penalty, parse_rate
from billing.services import ChunkInvoices, invoice_issue_final, invoice_issue_final_many, update_rows
from works_console.dates import kst_date
from workspaces.services import workspace_purge, workspace_purge_many

from ..models import ALLOWED, Action, LifecycleEvent, Reservation, Status, Subscription
from .core import (
    Actor,
    change_status,
    ensure_allowed,
    lock_subscription,
    pending_reservation,
    record_event,
    withdraw_reservation,
)

logger = logging.getLogger(__name__)


# --- the penalty (SPEC 5.6): one function for the popup and the final invoice -----------------------------------


def _no_penalty(subscription: Subscription, on: date, rate: Fraction) -> PenaltyBreakdown:
    return PenaltyBreakdown.nothing(
        term_start=subscription.term_start or subscription.applied_on,
        term_end=subscription.contract_end() or on,
        cancellation_date=on,
        rate=rate,
    )


def penalty_applies(subscription: Subscription) -> bool:
    """Only an active annual contract owes an early-termination penalty (SPEC 5.6)."""
    return subscription.status == Status.ACTIVE and subscription.contract_type == ContractType.ANNUAL


def cancellation_penalty(
    subscription: Subscription, on: date, *, segments: Iterable[RateSegment] | None = None
) -> PenaltyBreakdown:
    """The early-termination penalty if ``subscription`` is cancelled on ``on`` (SPEC 5.6), itemised.

    The cancel popup and the final invoice both call this, so they cannot disagree. Zero for trials, suspended
    trials, monthly contracts and any date after the contract end (the penalty-free date is term end + 1).
    Reads the annual rate segments of the current term, with the unit prices recorded on them; a caller that
    already read the subscription's rate segments (the cancellation job, for a chunk) passes them as
    ``segments`` and no query runs.
    """
    rate = parse_rate(settings.EARLY_TERMINATION_RATE)
    if not _owes_penalty_on(subscription, on):
        return _no_penalty(subscription, on, rate)
    if segments is None:
        segments = RateSegment.objects.filter(subscription=subscription, contract_type=ContractType.ANNUAL)
    rows = sorted(
        (
            row
            for row in segments
            if row.contract_type == ContractType.ANNUAL
            and row.starts_on <= subscription.term_end
            and (row.ends_on is None or row.ends_on > subscription.term_start)
        ),
        key=lambda row: (row.starts_on, row.pk),
    )
    terms = [
        SegmentTerms(
            unit_price=row.unit_price,
            list_unit_price=row.list_unit_price,
            quantity=row.quantity,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
        )
        for row in rows
    ]
    return early_termination_penalty(
        segments=terms,
        anchor=subscription.paid_start,
        term_start=subscription.term_start,
        term_end=subscription.term_end,
        cancellation_date=max(on, subscription.term_start),
        rate=rate,
    )


def _owes_penalty_on(subscription: Subscription, on: date) -> bool:
    return penalty_applies(subscription) and subscription.term_start is not None and on <= subscription.term_end


# --- ending the service (shared with the renewal's "Do not renew" and the jobs) -----------------------------------


def _close_segments(subscription: Subscription, on: date) -> None:
    """No rate segment runs from ``on``: the open one ends there; one that would start on or after it never ran."""
    RateSegment.objects.filter(subscription=subscription, starts_on__gte=on).delete()
    RateSegment.objects.filter(subscription=subscription).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on)).update(
        ends_on=on
    )


def end_service(
    subscription: Subscription,
    *,
    on: date,
    penalty: PenaltyBreakdown | None,
    kind: str,
    by: Actor,
    now: datetime,
    details: dict | None = None,
) -> Subscription:
    """Stop the service on ``on`` (SPEC 5.5, 6): final invoice, ``terminated``, purge, in the caller's transaction.

    The caller holds the row lock and has checked that the service may end. A paid subscription gets its final
    invoice (the ended periods, then the usage up to the day before ``on`` plus ``penalty``); the segments stop
    at ``on``; pending reservations are resolved; the state becomes ``terminated`` (event ``kind``); then the
    workspace is purged (its own ``purged`` event).
    """
    if subscription.status == Status.ACTIVE:
        invoice = invoice_issue_final(subscription=subscription, cancellation_date=on, penalty=penalty, now=now)
        details = {**(details or {}), "final_invoice": invoice.public_id if invoice else None}
    _close_segments(subscription, on)
    Reservation.objects.filter(
        subscription=subscription, state=Reservation.State.PENDING, kind=Reservation.Kind.CANCELLATION
    ).update(state=Reservation.State.DONE, resolved_at=now)
    Reservation.objects.filter(subscription=subscription, state=Reservation.State.PENDING).update(
        state=Reservation.State.WITHDRAWN, resolved_at=now
    )
    subscription.terminated_on = on
    subscription.next_invoice_on = None
    change_status(subscription, Status.TERMINATED, by=by, at=now, kind=kind, details=details)
    subscription.save(update_fields=["status", "terminated_on", "next_invoice_on", "next_period_index"])
    workspace_purge(subscription=subscription, now=now, by=by)
    logger.info("subscription %s ended on %s (%s)", subscription.pk, on, kind)
    return subscription


# --- the customer's cancellation ------------------------------------------------------------------------------


def cancellation_date_range(subscription: Subscription, today: date) -> tuple[date, date]:
    """The dates a cancellation may take (SPEC 5.5): from today up to the day after the contract end."""
    return today, subscription.latest_cancellation_date() or today


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, on: date, by: Actor, now: datetime) -> Subscription:
    """Cancel now (``on`` = today) or reserve a cancellation for ``on`` (SPEC 5.5).

    Allowed in trial, suspended and active; refused while a paid conversion is reserved. ``on`` runs from today
    to the day after the contract end (Subscription.latest_cancellation_date). Today: the final invoice (active:
    usage up to the day before plus the penalty), ``terminated`` and the purge, all in this transaction. Later:
    a pending cancellation; a second call moves its date (``cancellation_changed``).
    """
    subscription = lock_subscription(subscription)
    if pending_reservation(subscription, Reservation.Kind.CONVERSION) is not None:
        raise ValidationError(
            _("A paid conversion is reserved for this subscription. Withdraw the conversion first, then cancel."),
            code="conversion_reserved",
        )
    reservation = pending_reservation(subscription, Reservation.Kind.CANCELLATION)
    if reservation is None:
        ensure_allowed(subscription, Action.CANCEL)
    elif Action.CANCEL not in ALLOWED[subscription.status]:
        raise ValidationError(_("This subscription cannot be cancelled now."), code="not_allowed")
    today = kst_date(now)
    first, last = cancellation_date_range(subscription, today)
    if not first <= on <= last:
        raise ValidationError(
            {
                "cancellation_date": _("Choose a cancellation date from %(first)s to %(last)s.")
                % {"first": first.isoformat(), "last": last.isoformat()}
            },
            code="date_out_of_range",
        )

    if on == today:
        penalty = cancellation_penalty(subscription, on)
        details = {"cancellation_date": on.isoformat(), "penalty": penalty.amount}
        if reservation is not None:
            details["reservation"] = reservation.pk
        return end_service(
            subscription,
            on=on,
            penalty=penalty if penalty_applies(subscription) else None,
            kind="cancelled",
            by=by,
            now=now,
            details=details,
        )

    if reservation is None:
        Reservation.objects.create(subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=on)
        record_event(
            subscription,
            "cancellation_reserved",
            by=by,
            at=now,
            from_status=subscription.status,
            to_status=subscription.status,
            details={"cancellation_date": on.isoformat()},
        )
    elif reservation.effective_on != on:
        previous = reservation.effective_on
        reservation.effective_on = on
        reservation.save(update_fields=["effective_on"])
        record_event(
            subscription,
            "cancellation_changed",
            by=by,
            at=now,
            from_status=subscription.status,
            to_status=subscription.status,
            details={"from": previous.isoformat(), "to": on.isoformat()},
        )
    return subscription


@transaction.atomic
def subscription_withdraw_cancellation(*, subscription: Subscription, by: Actor, now: datetime) -> Subscription:
    """Withdraw the pending cancellation (SPEC 5.5: any time before its date)."""
    return withdraw_reservation(
        lock_subscription(subscription),
        kind=Reservation.Kind.CANCELLATION,
        action=Action.WITHDRAW_CANCELLATION,
        event="cancellation_withdrawn",
        date_detail="cancellation_date",
        nothing_reserved=_("There is no reserved cancellation to withdraw."),
        by=by,
        at=now,
    )


@transaction.atomic
def subscription_execute_reserved_cancellation(
    *, subscription: Subscription, now: datetime, by: Actor
) -> Subscription:
    """For the job (SPEC 6): carry out the pending cancellation whose date has come (KST).

    Re-reads the reservation under the lock: withdrawn, already done or not due yet -> changes nothing.
    Otherwise ends the service on the reserved date (final invoice with the penalty for that date,
    ``terminated``, purge). Returns the locked, current subscription either way.
    """
    subscription = lock_subscription(subscription)
    reservation = (
        Reservation.objects.filter(
            subscription=subscription, kind=Reservation.Kind.CANCELLATION, state=Reservation.State.PENDING
        )
        .order_by("id")
        .first()
    )
    if reservation is None or reservation.effective_on > kst_date(now):
        return subscription
    if subscription.status == Status.TERMINATED:
        reservation.state = Reservation.State.DONE
        reservation.resolved_at = now
        reservation.save(update_fields=["state", "resolved_at"])
        return subscription
    on = reservation.effective_on
    penalty = cancellation_penalty(subscription, on)
    return end_service(
        subscription,
        on=on,
        penalty=penalty if penalty_applies(subscription) else None,
        kind="cancelled",
        by=by,
        now=now,
        details={"cancellation_date": on.isoformat(), "penalty": penalty.amount, "reservation": reservation.pk},
    )


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def subscription_execute_reserved_cancellation_many(
    *, subscriptions: list[Subscription], now: datetime, by: Actor
) -> int:
    """``subscription_execute_reserved_cancellation`` for a chunk of the cancellation job, set-based (SPEC 5.5, 6).

    The caller holds the rows' locks (the job's claimed chunk). Reads the chunk's pending cancellations in one
    query and re-checks each under the lock (pending, due as of today KST): a withdrawn or not yet due one does
    nothing. Each other service stops on its reserved date exactly as ``end_service`` would stop it: the final
    invoices of the paid ones (ended periods first, then usage up to the day before plus the penalty of
    ``cancellation_penalty`` for that date) through ``invoice_issue_final_many``; the segments stop at the date;
    the reservations are resolved; ``terminated`` with a ``cancelled`` event; then one ``workspace_purge_many``.
    A bounded number of queries whatever the size of the chunk. Should the unique guard refuse an invoice,
    nothing of the batch is kept and the chunk goes row by row. Returns how many are ``terminated``.
    """
    today = kst_date(now)
    reservations: dict[int, Reservation] = {}
    for reservation in Reservation.objects.filter(
        subscription_id__in=[subscription.pk for subscription in subscriptions],
        kind=Reservation.Kind.CANCELLATION,
        state=Reservation.State.PENDING,
        effective_on__lte=today,
    ).order_by("subscription_id", "id"):
        reservations.setdefault(reservation.subscription_id, reservation)
    due = [subscription for subscription in subscriptions if subscription.pk in reservations]
    if not due:
        return 0
    gone = [subscription for subscription in due if subscription.status == Status.TERMINATED]
    if gone:
        # Ended meanwhile (e.g. "Do not renew"): the reservation has nothing left to do.
        Reservation.objects.filter(pk__in=[reservations[subscription.pk].pk for subscription in gone]).update(
            state=Reservation.State.DONE, resolved_at=now
        )
    ending = [subscription for subscription in due if subscription.status != Status.TERMINATED]
    if not ending:
        return len(gone)
    on_of = {subscription.pk: reservations[subscription.pk].effective_on for subscription in ending}

    owing = [subscription.pk for subscription in ending if _owes_penalty_on(subscription, on_of[subscription.pk])]
    annual_segments: dict[int, list[RateSegment]] = {pk: [] for pk in owing}
    if owing:
        for row in RateSegment.objects.filter(subscription_id__in=owing, contract_type=ContractType.ANNUAL):
            annual_segments[row.subscription_id].append(row)
    penalties = {
        subscription.pk: cancellation_penalty(
            subscription, on_of[subscription.pk], segments=annual_segments.get(subscription.pk, ())
        )
        for subscription in ending
    }
    finals = [
        (
            subscription,
            on_of[subscription.pk],
            penalties[subscription.pk] if penalty_applies(subscription) else None,
        )
        for subscription in ending
        if subscription.status == Status.ACTIVE
    ]
    try:
        invoices = invoice_issue_final_many(finals=finals, now=now) if finals else ChunkInvoices()
    except IntegrityError:
        logger.warning("cancellations of a chunk of %d hit the invoice guard: row by row", len(subscriptions))
        return len(gone) + sum(
            subscription_execute_reserved_cancellation(subscription=subscription, now=now, by=by).status
            == Status.TERMINATED
            for subscription in ending
        )

    ids = [subscription.pk for subscription in ending]
    pks_by_date: dict[date, list[int]] = {}
    for pk, on in on_of.items():
        pks_by_date.setdefault(on, []).append(pk)
    # Each subscription's own date, as _close_segments uses it, in one DELETE and one UPDATE for the chunk.
    stops_on = Case(
        *(When(subscription_id__in=pks, then=Value(on)) for on, pks in pks_by_date.items()),
        output_field=models.DateField(),
    )
    RateSegment.objects.filter(subscription_id__in=ids, starts_on__gte=stops_on).delete()
    RateSegment.objects.filter(subscription_id__in=ids).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=stops_on)
    ).update(ends_on=stops_on)
    Reservation.objects.filter(
        subscription_id__in=ids, state=Reservation.State.PENDING, kind=Reservation.Kind.CANCELLATION
    ).update(state=Reservation.State.DONE, resolved_at=now)
    Reservation.objects.filter(subscription_id__in=ids, state=Reservation.State.PENDING).update(
        state=Reservation.State.WITHDRAWN, resolved_at=now
    )

    actor, user = by
    events, changes = [], {}
    for subscription in ending:
        on, penalty = on_of[subscription.pk], penalties[subscription.pk]
        details = {
            "cancellation_date": on.isoformat(),
            "penalty": penalty.amount,
            "reservation": reservations[subscription.pk].pk,
        }
        if subscription.status == Status.ACTIVE:
            details["final_invoice"] = invoices.final_invoice.get(subscription.pk)
        events.append(
            LifecycleEvent(
                subscription_id=subscription.pk,
                kind="cancelled",
                from_status=subscription.status,
                to_status=Status.TERMINATED,
                actor=actor,
                actor_user=user,
                at=now,
                details=details,
            )
        )
        subscription.status, subscription.terminated_on, subscription.next_invoice_on = Status.TERMINATED, on, None
        subscription.next_period_index = invoices.next_period_index.get(
            subscription.pk, subscription.next_period_index
        )
        changes[subscription.pk] = {
            "status": Status.TERMINATED,
            "terminated_on": on,
            "next_invoice_on": None,
            "next_period_index": subscription.next_period_index,
        }
    update_rows(Subscription, changes)
    LifecycleEvent.objects.bulk_create(events)
    workspace_purge_many(subscriptions=ending, now=now, by=by)
    logger.info("cancelled %d subscriptions", len(ending))
    return len(gone) + len(ending)
