"""The two tables of the lifecycle (SPEC 4, 5) and the one place that reads them.

``TRANSITIONS`` says which state changes exist (``services.core.change_status_many`` checks every row against
it); ``ALLOWED`` says which customer actions each state allows, ``OPERATOR_ALLOWED`` what only operators do
(SPEC 11). Nothing else reads ``ALLOWED``: the My Product
buttons, the action pages and the services all ask ``allowed_actions`` / ``ensure_allowed``, so the UI and the
server never disagree.
"""

from collections.abc import Sequence
from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Subquery
from django.utils.translation import gettext as _

from billing.models import ContractType, Plan

from .models import Action, Reservation, Status, Subscription
from .standing import Standing, standing_on

# SPEC 4: the only state changes there are. Services refuse anything else.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.TRIAL: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.TERMINATED}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.TERMINATED}),
    Status.ACTIVE: frozenset({Status.TERMINATED}),
    Status.TERMINATED: frozenset(),
}

# SPEC 5: the customer actions each state allows, before reservations are considered (see allowed_actions).
ALLOWED: dict[str, frozenset[str]] = {
    Status.TRIAL: frozenset({Action.CONVERT, Action.UPGRADE, Action.CANCEL, Action.ADMIN_LOGIN, Action.EXPORT}),
    Status.SUSPENDED: frozenset({Action.CONVERT, Action.CANCEL, Action.EXPORT}),
    Status.ACTIVE: frozenset(
        {Action.CHANGE_RENEWAL, Action.UPGRADE, Action.CANCEL, Action.ADMIN_LOGIN, Action.EXPORT}
    ),
    Status.TERMINATED: frozenset(),
}


# SPEC 11: what only an operator does, per state. An operator's other actions (convert, cancel, withdraw on the
# customer's behalf) are the customer's own, allowed by ALLOWED and refused by the customer's services.
OPERATOR_ALLOWED: dict[str, frozenset[str]] = {
    Status.TRIAL: frozenset({Action.EXTEND_TRIAL}),
    # A suspended trial has ended: extending it would need suspended -> trial, which SPEC 4 does not have.
    Status.SUSPENDED: frozenset(),
    Status.ACTIVE: frozenset(),
    # A penalty is billed on the final invoice, once the service has stopped.
    Status.TERMINATED: frozenset({Action.WAIVE_PENALTY}),
}


def pending_reservations(subscription: Subscription) -> dict[str, Reservation]:
    """The pending reservations by kind; uses the prefetched `pending_reservation_list` when present."""
    rows = getattr(subscription, "pending_reservation_list", None)
    if rows is None:
        rows = subscription.reservations.filter(state=Reservation.State.PENDING)
    return {row.kind: row for row in rows}


def pending_reservation(subscription: Subscription, kind: str) -> Reservation | None:
    """The pending reservation of one kind, if any (SPEC 4: at most one of each)."""
    return pending_reservations(subscription).get(kind)


def due_reservations(subscriptions: Sequence[Subscription], kind: str, *, today: date) -> dict[int, Reservation]:
    """The pending reservations of ``kind`` due by ``today`` (KST) of the subscriptions, by subscription id, with
    their plans: what a job re-reads under the row locks (SPEC 4: at most one each). The plans come in a second
    query, one object per plan (a chunk's thousand reservations share a few plans), not one per row."""
    rows = list(
        Reservation.objects.filter(
            subscription_id__in=[subscription.pk for subscription in subscriptions],
            kind=kind,
            state=Reservation.State.PENDING,
            effective_on__lte=today,
        ).order_by("-id")
    )
    plan_ids = {row.plan_id for row in rows if row.plan_id is not None}
    plans = Plan.objects.in_bulk(plan_ids) if plan_ids else {}
    for row in rows:
        if row.plan_id is not None:
            row.plan = plans[row.plan_id]
    return {row.subscription_id: row for row in rows}


def _top_offered_tier_query() -> QuerySet:
    return Plan.objects.filter(is_active=True).order_by("-tier").values_list("tier", flat=True)[:1]


def top_offered_tier() -> int | None:
    """The highest tier of the plans offered now (None when none is): an upgrade needs a plan above its own."""
    return next(iter(_top_offered_tier_query()), None)


def top_offered_tier_subquery() -> Subquery:
    """``top_offered_tier()`` inside another query, read with its rows (My Product, issue 17)."""
    return Subquery(_top_offered_tier_query())


def allowed_actions(
    subscription: Subscription,
    *,
    today: date,
    pending: dict[str, Reservation] | None = None,
    top_tier: int | None | Literal["unknown"] = "unknown",
    standing: Standing | None = None,
) -> frozenset[str]:
    """The customer actions valid on the KST date ``today``: the table (ALLOWED) of the state the calendar gives
    (``standing_on``, issue 22: whether or not a job has run since midnight), narrowed by the reservations
    (SPEC 5) and by the catalog (no `Upgrade` without an offered plan of a higher tier).

    A service the calendar has stopped (its cancellation date, "Do not renew" or the end of its grace has come)
    offers nothing, as once its job has run: SPEC 5.5 and 6 stop and purge it on that date. A page showing many
    subscriptions passes `top_tier` (top_offered_tier()) once instead of a query per row, and `pending` /
    `standing` when it read them already.
    """
    if pending is None:
        pending = pending_reservations(subscription)
    if standing is None:
        standing = standing_on(subscription, today=today, pending=pending)
    if standing.is_stopped:
        return frozenset()  # nothing left to change, nor a reservation to withdraw: its date has come
    allowed = ALLOWED[standing.status]
    actions = set(allowed)
    if Action.UPGRADE in actions:
        if top_tier == "unknown":
            top_tier = top_offered_tier()
        if top_tier is None or top_tier <= subscription.plan.tier:
            actions.discard(Action.UPGRADE)
    if Action.CHANGE_RENEWAL in actions and standing.contract_type == ContractType.ANNUAL:
        # SPEC 3: annual licences can be increased at any time of a running term (reduced only at renewal).
        actions.add(Action.ADD_LICENCES)
    if Reservation.Kind.CONVERSION in pending and standing.status != Status.ACTIVE:
        # SPEC 5.5: a reserved conversion blocks cancellation; it can be changed (Convert) or withdrawn before its
        # date (once its date has come, the paid service has started).
        actions.discard(Action.CANCEL)
        actions.add(Action.WITHDRAW_CONVERSION)
    if Reservation.Kind.CANCELLATION in pending:
        # SPEC 5.4: no upgrade with a pending cancellation. Also one cancellation at a time, and no conversion
        # or renewal change for a service that is ending (docs/decisions.md): withdraw the cancellation first.
        actions -= {Action.UPGRADE, Action.CANCEL, Action.CONVERT, Action.CHANGE_RENEWAL, Action.ADD_LICENCES}
        actions.add(Action.WITHDRAW_CANCELLATION)
        if Action.CANCEL in allowed:
            # Its date can still move (or come forward to today) wherever a cancellation is allowed.
            actions.add(Action.CHANGE_CANCELLATION)
    return frozenset(actions)


def operator_only_actions(subscription: Subscription, *, today: date) -> frozenset[str]:
    """The operators' own actions valid on ``today`` (OPERATOR_ALLOWED): a trial is extended while the calendar
    says trial; a penalty is waived once the final invoice is issued (the service ended in the database)."""
    status = subscription.status
    if status != Status.TERMINATED:
        status = standing_on(subscription, today=today).status
        if status == Status.TERMINATED:
            return frozenset()  # stopped by the calendar: its final invoice comes with the job
    return OPERATOR_ALLOWED[status]


def operator_actions(
    subscription: Subscription, *, today: date, pending: dict[str, Reservation] | None = None
) -> frozenset[str]:
    """What an operator may do on ``today`` (SPEC 11): the customer's actions and the operators' own."""
    return allowed_actions(subscription, today=today, pending=pending) | operator_only_actions(
        subscription, today=today
    )


def ensure_allowed(
    subscription: Subscription, action: str, *, today: date, message: str | None = None, operator: bool = False
) -> None:
    """Refuse ``action`` unless ``allowed_actions`` (``operator_actions`` for an operator) has it on ``today``,
    with ``message`` or the generic one."""
    allowed = operator_actions(subscription, today=today) if operator else allowed_actions(subscription, today=today)
    if action not in allowed:
        raise ValidationError(
            message or _("This action is not available for this subscription in its current state."),
            code="not_allowed",
        )
