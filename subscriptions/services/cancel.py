"""Cancellation (SPEC 5.5, 5.6): now or reserved, its withdrawal, its execution by the job, and the penalty.

Every service here locks the subscription first (core.lock_subscription), re-checks the rules on the locked
row, and writes its lifecycle events in the same transaction.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import ContractType, RateSegment
from billing.pricing import PenaltyBreakdown, SegmentTerms, early_termination_penalty, parse_rate
from billing.services import IssuedInvoices
from works_console.dates import kst_date
from works_console.db import update_rows
from workspaces.selectors import member_count

from ..models import Action, Reservation, Status, Subscription
from ..rules import due_reservations, ensure_allowed, pending_reservation
from ..standing import Standing, renewed_licences, standing_on
from .core import (
    Actor,
    change_status_many,
    lock_current,
    lock_one,
    lock_subscription,
    record_change,
    supersede,
    withdraw_reservation,
)
from .invoicing import issue_invoices
from .purge import workspace_purge_many
from .segments import stop_segments

logger = logging.getLogger(__name__)


# --- the penalty (SPEC 5.6): one function for the popup and the final invoice -----------------------------------


def penalty_applies(standing: Standing) -> bool:
    """Only an annual contract owes an early-termination penalty (SPEC 5.6): the contract of the day, by the
    calendar (a term that has renewed as annual since midnight owes it even before the renewal job has run)."""
    return standing.contract is not None and standing.contract.contract_type == ContractType.ANNUAL


def _penalty_terms(standing: Standing, segments: Iterable[RateSegment], *, members: int | None) -> list[SegmentTerms]:
    """The annual segments of the term of the day with the unit prices recorded on them (SPEC 5.6). A renewal
    the calendar has applied but the job not yet (``renewed_from``) is priced as the job will start it: at the
    plan's catalog prices of now, with the renewed licences (``renewal.renewed_licences``)."""
    contract, subscription = standing.contract, standing.subscription
    renewed_from = contract.renewed_from
    rows = sorted(
        (
            row
            for row in segments
            if row.contract_type == ContractType.ANNUAL
            and row.starts_on <= contract.term_end
            and (row.ends_on is None or row.ends_on > contract.term_start)
            and (renewed_from is None or row.starts_on < renewed_from)
        ),
        key=lambda row: (row.starts_on, row.pk or 0),
    )
    terms = [
        SegmentTerms(
            unit_price=row.unit_price,
            list_unit_price=row.list_unit_price,
            quantity=row.quantity,
            starts_on=row.starts_on,
            ends_on=row.ends_on if renewed_from is None or row.ends_on is not None else renewed_from,
        )
        for row in rows
    ]
    if renewed_from is not None and renewed_from <= contract.term_end:
        if members is None:
            members = member_count(subscription.workspace_id)
        plan = subscription.plan
        terms.append(
            SegmentTerms(
                unit_price=plan.annual_unit_price,
                list_unit_price=plan.monthly_unit_price,
                quantity=renewed_licences(subscription, members=members),
                starts_on=renewed_from,
                ends_on=None,
            )
        )
    return terms


def cancellation_penalty(
    standing: Standing,
    on: date,
    *,
    segments: Iterable[RateSegment] | None = None,
    members: int | None = None,
) -> PenaltyBreakdown:
    """The early-termination penalty if the subscription is cancelled on ``on`` (SPEC 5.6), itemised.

    The cancel popup and the final invoice both call this, so they cannot disagree. The term is the contract
    term of ``standing``, the calendar's (issue 22): the term of today for a cancellation chosen today, the term
    that ran up to its date for a reserved one the job carries out. Zero for trials, suspended trials, monthly
    contracts and any date after the contract end (the penalty-free date is term end + 1). Reads the annual
    rate segments of the term, with the unit prices recorded on them, unless ``segments`` gives them (the
    cancellation job reads a whole chunk's at once); ``members`` is the members registered now when the caller
    knows it (only read for a renewal the job has not applied yet).
    """
    rate = parse_rate(settings.EARLY_TERMINATION_RATE)
    contract, subscription = standing.contract, standing.subscription
    if not penalty_applies(standing) or on > contract.term_end:
        return PenaltyBreakdown.nothing(
            term_start=contract.term_start if contract is not None else subscription.applied_on,
            term_end=standing.contract_end or (contract.term_end if contract is not None else on),
            cancellation_date=on,
            rate=rate,
        )
    if segments is None:
        segments = RateSegment.objects.filter(subscription=subscription, contract_type=ContractType.ANNUAL)
    return early_termination_penalty(
        segments=_penalty_terms(standing, segments, members=members),
        anchor=subscription.paid_start,
        term_start=contract.term_start,
        term_end=contract.term_end,
        cancellation_date=max(on, contract.term_start),
        rate=rate,
    )


# --- ending the service (the cancellation, the renewal's "Do not renew", the jobs) ---------------------------------


@dataclass(frozen=True, slots=True)
class Ending:
    """A service that stops on ``on``: the penalty of its final invoice (None: none owed) and its event details."""

    subscription: Subscription
    on: date
    penalty: PenaltyBreakdown | None
    details: dict


def end_services(
    endings: Sequence[Ending],
    *,
    kind: str,
    by: Actor,
    now: datetime,
    invoiced: tuple[IssuedInvoices, Mapping[int, dict]] | None = None,
) -> list[Subscription]:
    """Stop the services (SPEC 5.5, 6): final invoices, ``terminated``, purge, in the caller's transaction.

    The caller holds the row locks and has checked that each service may end on its date. The paid ones get
    their final invoice (the ended periods, then the usage up to the day before the date plus the penalty); the
    segments stop at the date; pending reservations are resolved (the cancellation done, any other withdrawn);
    the state becomes ``terminated`` with a ``kind`` event; then the workspaces are purged (``purged`` events).
    A fixed number of queries whatever the number of services: a job's chunk or a view's batch of one.
    ``invoiced`` is what ``issue_invoices`` returned when the caller issued these final invoices already, with
    those of its other subscriptions (the renewal job's chunk): they are not issued again.
    """
    if not endings:
        return []
    subscriptions = [ending.subscription for ending in endings]
    ids = [subscription.pk for subscription in subscriptions]
    paid = {
        ending.subscription.pk: (ending.on, ending.penalty)
        for ending in endings
        if ending.subscription.status == Status.ACTIVE
    }
    if invoiced is None:
        invoiced = issue_invoices([s for s in subscriptions if s.pk in paid], now=now, finals=paid)
    invoices, moved = invoiced
    stop_segments({ending.subscription.pk: ending.on for ending in endings})
    Reservation.objects.filter(
        subscription_id__in=ids, state=Reservation.State.PENDING, kind=Reservation.Kind.CANCELLATION
    ).update(state=Reservation.State.DONE, resolved_at=now)
    Reservation.objects.filter(subscription_id__in=ids, state=Reservation.State.PENDING).update(
        state=Reservation.State.WITHDRAWN, resolved_at=now
    )
    details = {}
    for ending in endings:
        pk = ending.subscription.pk
        details[pk] = (
            {**ending.details, "final_invoice": invoices.final_invoice.get(pk)} if pk in paid else ending.details
        )
    writes: dict[int, dict] = {}
    change_status_many(
        subscriptions,
        Status.TERMINATED,
        kind=kind,
        by=by,
        at=now,
        details=details,
        fields={
            ending.subscription.pk: {
                **moved.get(ending.subscription.pk, {}),
                "terminated_on": ending.on,
                "next_invoice_on": None,
            }
            for ending in endings
        },
        writes=writes,
    )
    workspace_purge_many(subscriptions=subscriptions, now=now, by=by, writes=writes)
    update_rows(Subscription, writes, bump=("version",))  # the new state, the purge's scrubbing, the card's key
    logger.info("%d subscriptions ended (%s)", len(subscriptions), kind)
    return subscriptions


# --- the customer's cancellation ------------------------------------------------------------------------------


def cancellation_date_range(
    subscription: Subscription, today: date, *, standing: Standing | None = None
) -> tuple[date, date]:
    """The dates a cancellation may take (SPEC 5.5): from today up to the day after the contract end of the day,
    by the calendar (``Standing.latest_cancellation_date``: never before today, so never empty)."""
    if standing is None:
        standing = standing_on(subscription, today=today)
    return today, standing.latest_cancellation_date


def check_cancellation_date(
    subscription: Subscription, on: date, *, today: date, standing: Standing | None = None
) -> date:
    """A cancellation date within ``cancellation_date_range`` (SPEC 5.5)."""
    first, last = cancellation_date_range(subscription, today, standing=standing)
    if not first <= on <= last:
        raise ValidationError(
            {
                "cancellation_date": _("Choose a cancellation date from %(first)s to %(last)s.")
                % {"first": first.isoformat(), "last": last.isoformat()}
            },
            code="date_out_of_range",
        )
    return on


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, on: date, by: Actor, now: datetime) -> Subscription:
    """Cancel now (``on`` = today) or reserve a cancellation for ``on`` (SPEC 5.5).

    Allowed in trial, suspended and active; refused while a paid conversion is reserved. ``on`` runs from today
    to the day after the contract end of the day (``cancellation_date_range``). The row is first brought up to
    the calendar (``lock_current``: a term that has ended renews as the job would), so the contract cancelled
    is the contract of the day. Today: the final invoice (active:
    usage up to the day before plus the penalty), ``terminated`` and the purge, all in this transaction. Later:
    a pending cancellation; a second call moves its date (``cancellation_changed``).
    """
    today = kst_date(now)
    subscription = lock_current(subscription, now=now)
    if pending_reservation(subscription, Reservation.Kind.CONVERSION) is not None:
        raise ValidationError(
            _("A paid conversion is reserved for this subscription. Withdraw the conversion first, then cancel."),
            code="conversion_reserved",
        )
    reservation = pending_reservation(subscription, Reservation.Kind.CANCELLATION)
    if reservation is None:
        ensure_allowed(subscription, Action.CANCEL, today=today)
    else:
        ensure_allowed(
            subscription,
            Action.CHANGE_CANCELLATION,
            today=today,
            message=_("This subscription cannot be cancelled now."),
        )
    standing = standing_on(subscription, today=today)
    check_cancellation_date(subscription, on, today=today, standing=standing)

    if on == today:
        penalty = cancellation_penalty(standing, on)
        details = {"cancellation_date": on.isoformat(), "penalty": penalty.amount}
        if reservation is not None:
            details["reservation"] = reservation.pk
            if reservation.effective_on != on:
                # Replaced by this cancellation before its date: superseded, not carried out (issue 19).
                supersede(reservation, at=now)
        ending = Ending(subscription, on, penalty if penalty_applies(standing) else None, details)
        return end_services([ending], kind="cancelled", by=by, now=now)[0]

    if reservation is None:
        Reservation.objects.create(subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=on)
        Subscription.objects.filter(pk=subscription.pk).touch()
        record_change(
            subscription, "cancellation_reserved", by=by, at=now, details={"cancellation_date": on.isoformat()}
        )
    elif reservation.effective_on != on:
        previous = reservation.effective_on
        reservation.effective_on = on
        reservation.save(update_fields=["effective_on"])
        Subscription.objects.filter(pk=subscription.pk).touch()
        record_change(
            subscription,
            "cancellation_changed",
            by=by,
            at=now,
            details={"from": previous.isoformat(), "to": on.isoformat()},
        )
    return subscription


@transaction.atomic
def subscription_withdraw_cancellation(*, subscription: Subscription, by: Actor, now: datetime) -> Subscription:
    """Withdraw the pending cancellation (SPEC 5.5: any time before its date)."""
    return withdraw_reservation(lock_subscription(subscription), Reservation.Kind.CANCELLATION, by=by, at=now)


@transaction.atomic
def subscription_execute_reserved_cancellation(
    *, subscription: Subscription, now: datetime, by: Actor
) -> Subscription:
    """For the job (SPEC 6): carry out the pending cancellation whose date has come (KST), on one subscription.

    ``subscription_execute_reserved_cancellation_many`` on a batch of one; returns the locked, current row.
    """
    return lock_one(subscription, subscription_execute_reserved_cancellation_many, now=now, by=by)


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def subscription_execute_reserved_cancellation_many(
    *, subscriptions: list[Subscription], now: datetime, by: Actor
) -> int:
    """The cancellation job's chunk (SPEC 5.5, 6): carry out the pending cancellations whose date has come (KST).

    The caller holds the rows' locks. Reads the chunk's pending cancellations in one query and re-checks each
    under the lock (pending, due as of today KST): a withdrawn or not yet due one does nothing; one of a service
    that ended meanwhile (e.g. "Do not renew") is marked done. Each other service stops on its reserved date
    (``end_services``) with the penalty of ``cancellation_penalty`` for that date. A bounded number of queries
    whatever the size of the chunk. Returns how many are ``terminated``.
    """
    today = kst_date(now)
    reservations = due_reservations(subscriptions, Reservation.Kind.CANCELLATION, today=today)
    due = [subscription for subscription in subscriptions if subscription.pk in reservations]
    on_of = {subscription.pk: reservations[subscription.pk].effective_on for subscription in due}
    gone = [subscription for subscription in due if subscription.status == Status.TERMINATED]
    if gone:
        # Ended meanwhile (e.g. "Do not renew"): the reservation has nothing left to do.
        Reservation.objects.filter(pk__in=[reservations[subscription.pk].pk for subscription in gone]).update(
            state=Reservation.State.DONE, resolved_at=now
        )
        Subscription.objects.filter(pk__in=[subscription.pk for subscription in gone]).touch()
    ending = [subscription for subscription in due if subscription.status != Status.TERMINATED]
    if not ending:
        return len(gone)
    paid = [subscription.pk for subscription in ending if subscription.status == Status.ACTIVE]
    segments: dict[int, list[RateSegment]] = {pk: [] for pk in paid}
    if paid:
        for row in RateSegment.objects.filter(subscription_id__in=paid).select_related("plan"):
            segments[row.subscription_id].append(row)
    endings = []
    for subscription in ending:
        on, reservation = on_of[subscription.pk], reservations[subscription.pk]
        # The contract that ran up to the cancellation date: the service stops there by the calendar.
        standing = standing_on(
            subscription,
            today=today,
            pending={Reservation.Kind.CANCELLATION: reservation},
            segments=segments.get(subscription.pk, []),
        )
        penalty = cancellation_penalty(standing, on, segments=segments.get(subscription.pk, ()))
        details = {"cancellation_date": on.isoformat(), "penalty": penalty.amount, "reservation": reservation.pk}
        endings.append(Ending(subscription, on, penalty if penalty_applies(standing) else None, details))
    end_services(endings, kind="cancelled", by=by, now=now)
    return len(gone) + len(ending)
