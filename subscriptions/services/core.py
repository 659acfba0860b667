"""What every subscription service shares: the lock, the one door for state changes, the event log (SPEC 4, 6).

``change_status_many`` is the only code that writes a subscription's state: it checks TRANSITIONS for every row
and writes the transition events with ``record_events``, for a job's chunk or a view's batch of one.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from works_console.dates import kst_date
from works_console.db import insert_rows, update_rows

from ..models import Action, LifecycleEvent, Reservation, Status, Subscription, next_version
from ..rules import TRANSITIONS, allowed_actions, ensure_allowed, pending_reservation, pending_reservations
from ..standing import standing_on

__all__ = [
    "Actor",
    "allowed_actions",
    "change_status_many",
    "customer_actor",
    "ensure_allowed",
    "job_actor",
    "lock_current",
    "lock_one",
    "lock_subscription",
    "pending_reservation",
    "pending_reservations",
    "record_change",
    "record_event",
    "record_events",
    "save_subscription",
    "withdraw_reservation",
]

# Who acted, as written on lifecycle events: ("customer", user) / ("operator", user) / ("job:<name>", None).
Actor = tuple[str, Any]


def customer_actor(user) -> Actor:
    return ("customer", user)


def job_actor(name: str) -> Actor:
    return (f"job:{name}", None)


def lock_subscription(subscription: Subscription | int) -> Subscription:
    """Take the subscription's row lock, shared by views and jobs (SPEC 6), and return a fresh copy.

    Must run inside a transaction; everything a service decides is decided on the locked, re-read row.
    """
    pk = subscription.pk if isinstance(subscription, Subscription) else subscription
    return Subscription.objects.select_for_update(of=("self",)).select_related("plan", "workspace").get(pk=pk)


def save_subscription(subscription: Subscription, *fields: str) -> None:
    """Write ``fields`` of a locked subscription as the object holds them, its ``version`` moved on in the same
    UPDATE (the My Product card shows them, issue 17): a ``save(update_fields=...)`` that cannot forget it."""
    Subscription.objects.filter(pk=subscription.pk).update(
        **{name: getattr(subscription, name) for name in fields}, version=next_version()
    )


def lock_current(subscription: Subscription, *, now: datetime) -> Subscription:
    """``lock_subscription``, then the row brought up to the calendar of ``now`` (issue 22) before a change of
    contract: what a job would do to this subscription now, it does here, through the same step on a batch of
    one, with the job's name on its events. A trial past its last day is suspended, a reserved conversion whose
    date has come starts, a term that has ended renews as its option says. The change then starts from the
    contract of the day, and the job later finds nothing left to do. A service the calendar has stopped is left
    to its job (the rules refuse any change to it); the invoices of ended periods stay the renewal job's.
    """
    # The job steps build on this module: imported at call time.
    from ..lifecycle import ACTIVATE_CONVERSIONS, EXPIRE_TRIALS, RENEW
    from .expiry import suspend_expired_trials
    from .paid import subscription_activate_reserved_conversion_many
    from .renewal import renew_at_term_end_many

    locked = lock_subscription(subscription)
    today = kst_date(now)
    standing = standing_on(locked, today=today)
    if standing.is_stopped or locked.status == Status.TERMINATED:
        return locked
    if locked.status == Status.TRIAL and standing.status == Status.SUSPENDED:
        suspend_expired_trials([locked], now, by=job_actor(EXPIRE_TRIALS))
    if locked.status in (Status.TRIAL, Status.SUSPENDED) and standing.status == Status.ACTIVE:
        subscription_activate_reserved_conversion_many(
            subscriptions=[locked], now=now, by=job_actor(ACTIVATE_CONVERSIONS)
        )
    if locked.status == Status.ACTIVE and locked.term_end < today:
        renew_at_term_end_many(subscriptions=[locked], now=now, by=job_actor(RENEW))
    return locked


def lock_one(subscription: Subscription, step, *, now: datetime, by: Actor) -> Subscription:
    """A job's set-based ``step`` on one subscription under its lock, the locked row returned (tests, the shell)."""
    locked = lock_subscription(subscription)
    step(subscriptions=[locked], now=now, by=by)
    return locked


def record_events(
    subscriptions: Iterable[Subscription],
    kind: str,
    *,
    details: Mapping[int, dict] | None = None,
    statuses: Mapping[int, tuple[str, str]] | None = None,
    by: Actor,
    at: datetime,
) -> list[int]:
    """One ``kind`` event per subscription, in one INSERT from plain values (SPEC 4: in the same transaction as
    the change); returns the new events' ids, in the order of ``subscriptions``.

    ``details`` and ``statuses`` (``(from, to)``) are per subscription id; without ``statuses`` the event records
    the subscription's current state on both sides (a reservation or contract change, not a transition).
    """
    actor, user = by
    user_id = user.pk if user is not None else None
    details, statuses = details or {}, statuses or {}
    rows = []
    for subscription in subscriptions:
        from_status, to_status = statuses.get(subscription.pk, (subscription.status, subscription.status))
        rows.append(
            (subscription.pk, kind, from_status, to_status, actor, user_id, at, details.get(subscription.pk) or {})
        )
    return insert_rows(LifecycleEvent, EVENT_FIELDS, rows, returning="id")


EVENT_FIELDS = ("subscription", "kind", "from_status", "to_status", "actor", "actor_user", "at", "details")


def record_event(
    subscription: Subscription,
    kind: str,
    *,
    by: Actor,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    details: dict | None = None,
) -> int:
    """``record_events`` for one subscription, with the states given as they are (blank when not a state's); the
    event's id."""
    [event_id] = record_events(
        [subscription],
        kind,
        by=by,
        at=at,
        details={subscription.pk: details or {}},
        statuses={subscription.pk: (from_status, to_status)},
    )
    return event_id


def record_change(subscription: Subscription, kind: str, *, by: Actor, at: datetime, details: dict) -> int:
    """The event of a change that keeps the state (a reservation, the contract): ``record_events`` of one; its id."""
    return record_events([subscription], kind, by=by, at=at, details={subscription.pk: details})[0]


def change_status_many(
    subscriptions: Sequence[Subscription],
    to_status: str,
    *,
    kind: str,
    by: Actor,
    at: datetime,
    details: Mapping[int, dict] | None = None,
    fields: Mapping[int, Mapping[str, Any]] | None = None,
    writes: dict[int, dict[str, Any]] | None = None,
) -> list[Subscription]:
    """Move locked subscriptions to ``to_status`` in one UPDATE, with one ``kind`` event each (SPEC 4).

    Every row is checked against TRANSITIONS first: one illegal change refuses them all and writes nothing.
    ``fields`` gives other values each row takes in the same UPDATE (``{pk: {field: value}}``); the given
    objects are updated to match. Returns them. Given ``writes`` (``{pk: {field: value}}``), the row changes are
    added to it for the caller to write in its own UPDATE of the same rows, later in the same transaction.
    """
    illegal = [subscription for subscription in subscriptions if to_status not in TRANSITIONS[subscription.status]]
    if illegal:
        raise ValidationError(
            _("A subscription cannot go from %(from)s to %(to)s.") % {"from": illegal[0].status, "to": to_status},
            code="illegal_transition",
        )
    if not subscriptions:
        return []
    statuses = {subscription.pk: (subscription.status, to_status) for subscription in subscriptions}
    changes = {pk: {**(fields or {}).get(pk, {}), "status": to_status} for pk in statuses}
    if writes is None:
        update_rows(Subscription, changes, bump=("version",))  # the card's cache key too
    else:
        for pk, values in changes.items():
            writes.setdefault(pk, {}).update(values)
    for subscription in subscriptions:
        for name, value in changes[subscription.pk].items():
            setattr(subscription, name, value)
    record_events(subscriptions, kind, by=by, at=at, details=details, statuses=statuses)
    return list(subscriptions)


# Withdrawing a reservation (SPEC 5.2, 5.5): the action it needs, the event, the detail naming its date, and the
# message when there is none to withdraw.
WITHDRAWALS = {
    Reservation.Kind.CONVERSION: (
        Action.WITHDRAW_CONVERSION,
        "conversion_withdrawn",
        "start_on",
        gettext_lazy("There is no reserved conversion to withdraw."),
    ),
    Reservation.Kind.CANCELLATION: (
        Action.WITHDRAW_CANCELLATION,
        "cancellation_withdrawn",
        "cancellation_date",
        gettext_lazy("There is no reserved cancellation to withdraw."),
    ),
}


def supersede(reservation: Reservation, *, at: datetime) -> None:
    """Record that a pending reservation was replaced before its date by the same change made at once (a
    cancellation carried out today): the history shows it as superseded, not as carried out (issue 19)."""
    reservation.state = Reservation.State.SUPERSEDED
    reservation.resolved_at = at
    reservation.save(update_fields=["state", "resolved_at"])
    Subscription.objects.filter(pk=reservation.subscription_id).touch()


def withdraw_reservation(subscription: Subscription, kind: str, *, by: Actor, at: datetime) -> Subscription:
    """Withdraw the pending reservation of `kind` of a locked subscription and log it (SPEC 4, 5.2, 5.5).

    A job that already claimed the reservation re-reads it under the same row lock and finds it withdrawn. Once
    its date has come (KST), by the calendar the reservation has taken effect: it can no longer be withdrawn,
    whether or not its job has run (issue 22).
    """
    action, event, date_detail, nothing_reserved = WITHDRAWALS[kind]
    reservation = pending_reservation(subscription, kind)
    if reservation is None:
        raise ValidationError(str(nothing_reserved), code="nothing_reserved")
    ensure_allowed(subscription, action, today=kst_date(at))
    reservation.state = Reservation.State.WITHDRAWN
    reservation.resolved_at = at
    reservation.save(update_fields=["state", "resolved_at"])
    Subscription.objects.filter(pk=subscription.pk).touch()
    record_change(subscription, event, by=by, at=at, details={date_detail: reservation.effective_on.isoformat()})
    return subscription
