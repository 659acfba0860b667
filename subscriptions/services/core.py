"""What every subscription service shares: the lock, the transition table, the event log (SPEC 4, 6)."""

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from billing.models import ContractType, Plan
from subscriptions.models import (
    ALLOWED,
    TRANSITIONS,
    Action,
    LifecycleEvent,
    Reservation,
    Subscription,
)

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


def record_event(
    subscription: Subscription,
    kind: str,
    *,
    by: Actor,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    details: dict | None = None,
) -> LifecycleEvent:
    actor, user = by
    return LifecycleEvent.objects.create(
        subscription=subscription,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_user=user,
        at=at,
        details=details or {},
    )


def change_status(
    subscription: Subscription, to_status: str, *, by: Actor, at: datetime, kind: str, details: dict | None = None
) -> Subscription:
    """Move a locked subscription to `to_status`, if SPEC 4 allows it, and log the transition."""
    from_status = subscription.status
    if to_status not in TRANSITIONS[from_status]:
        raise ValidationError(
            _("A subscription cannot go from %(from)s to %(to)s.") % {"from": from_status, "to": to_status},
            code="illegal_transition",
        )
    subscription.status = to_status
    record_event(subscription, kind, by=by, at=at, from_status=from_status, to_status=to_status, details=details)
    return subscription


def pending_reservations(subscription: Subscription) -> dict[str, Reservation]:
    """The pending reservations by kind; uses the prefetched `pending_reservations` when present."""
    rows = getattr(subscription, "pending_reservation_list", None)
    if rows is None:
        rows = subscription.reservations.filter(state=Reservation.State.PENDING)
    return {row.kind: row for row in rows}


def pending_reservation(subscription: Subscription, kind: str) -> Reservation | None:
    """The pending reservation of one kind, if any (SPEC 4: at most one of each)."""
    return pending_reservations(subscription).get(kind)


def top_offered_tier() -> int | None:
    """The highest tier of the plans offered now (None when none is): an upgrade needs a plan above its own."""
    return Plan.objects.filter(is_active=True).aggregate(top=Max("tier"))["top"]


def allowed_actions(
    subscription: Subscription,
    *,
    pending: dict[str, Reservation] | None = None,
    top_tier: int | None | Literal["unknown"] = "unknown",
    today: date | None = None,
) -> frozenset[str]:
    """The customer actions valid now: the state's table (ALLOWED) narrowed by the reservations (SPEC 5), by
    the catalog (no `Upgrade` without an offered plan of a higher tier) and, given `today` (KST), by the term:
    once it has ended and until the renewal job has applied its renewal option, no contract change can be
    saved, so none is offered (issue 12).

    Views, templates (which buttons show) and services (what is accepted) all ask this one function. A page
    showing many subscriptions passes `top_tier` (top_offered_tier()) once instead of one query per row.
    """
    if pending is None:
        pending = pending_reservations(subscription)
    actions = set(ALLOWED[subscription.status])
    if Action.UPGRADE in actions:
        if top_tier == "unknown":
            top_tier = top_offered_tier()
        if top_tier is None or top_tier <= subscription.plan.tier:
            actions.discard(Action.UPGRADE)
    if today is not None and subscription.term_end is not None and today > subscription.term_end:
        actions -= {Action.CHANGE_RENEWAL, Action.UPGRADE, Action.ADD_LICENCES}
    if Action.CHANGE_RENEWAL in actions and subscription.contract_type == ContractType.ANNUAL:
        # SPEC 3: annual licences can be increased at any time of a running term (reduced only at renewal).
        actions.add(Action.ADD_LICENCES)
    conversion = pending.get(Reservation.Kind.CONVERSION)
    cancellation = pending.get(Reservation.Kind.CANCELLATION)
    if conversion is not None:
        # SPEC 5.5: a reserved conversion blocks cancellation; it can be changed (Convert) or withdrawn.
        actions.discard(Action.CANCEL)
        actions.add(Action.WITHDRAW_CONVERSION)
    if cancellation is not None:
        # SPEC 5.4: no upgrade with a pending cancellation. Also one cancellation at a time, and no conversion
        # or renewal change for a service that is ending (docs/decisions.md): withdraw the cancellation first.
        actions -= {Action.UPGRADE, Action.CANCEL, Action.CONVERT, Action.CHANGE_RENEWAL, Action.ADD_LICENCES}
        actions.add(Action.WITHDRAW_CANCELLATION)
    return frozenset(actions)


def ensure_allowed(subscription: Subscription, action: str) -> None:
    if action not in allowed_actions(subscription):
        raise ValidationError(
            _("This action is not available for this subscription in its current state."), code="not_allowed"
        )


def withdraw_reservation(
    subscription: Subscription,
    *,
    kind: str,
    action: str,
    event: str,
    date_detail: str,
    nothing_reserved: str,
    by: Actor,
    at: datetime,
) -> Subscription:
    """Withdraw the pending reservation of `kind` of a locked subscription and log it (SPEC 4, 5.2, 5.5).

    A job that already claimed the reservation re-reads it under the same row lock and finds it withdrawn.
    """
    reservation = pending_reservation(subscription, kind)
    if reservation is None:
        raise ValidationError(nothing_reserved, code="nothing_reserved")
    ensure_allowed(subscription, action)
    reservation.state = Reservation.State.WITHDRAWN
    reservation.resolved_at = at
    reservation.save(update_fields=["state", "resolved_at"])
    record_event(
        subscription,
        event,
        by=by,
        at=at,
        from_status=subscription.status,
        to_status=subscription.status,
        details={date_detail: reservation.effective_on.isoformat()},
    )
    return subscription
