"""Paid service (SPEC 5.2-5.4, 6): conversion, upgrade, licences (the renewal option and the renewal at a term's
end are in ``renewal``).

Every service locks the subscription first (core.lock_subscription), re-checks the rules on the locked row
(core.ensure_allowed), and writes its lifecycle events in the same transaction. Rule dates are KST dates taken
from ``now``. Conversion, upgrade, licence increases and renewals are all rate segments (billing.RateSegment):
the open segment ends on the day the new terms start, and the invoices prorate both by day.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import ContractType, Plan, RateSegment
from billing.periods import BillingPeriod, period_bounds, period_containing, term_bounds
from billing.pricing import UsageLine, rest_of_period_charge
from works_console.dates import kst_date
from workspaces.selectors import member_count

from ..models import Action, Reservation, Status, Subscription
from ..rules import allowed_actions, due_reservations, ensure_allowed, pending_reservation
from .core import (
    Actor,
    change_status_many,
    lock_current,
    lock_one,
    lock_subscription,
    record_change,
    record_events,
    save_subscription,
    withdraw_reservation,
)
from .invoicing import members_of
from .segments import Rate, open_segments, start_segments

logger = logging.getLogger(__name__)

# A sanity bound on a licence count typed by a customer (not a business rule: a larger deal goes through sales).
MAX_LICENCES = 100_000


# --- shared rules --------------------------------------------------------------------------------------------


def members_now(subscription: Subscription) -> int:
    return member_count(subscription.workspace_id)


def check_licences(licences: int | None, *, minimum: int, field: str = "licences") -> int:
    """An annual licence count: a whole number from ``minimum`` (the members registered now) up to MAX_LICENCES."""
    if licences is None:
        raise ValidationError({field: _("Enter the number of licences for an annual contract.")}, code="required")
    if isinstance(licences, bool) or not isinstance(licences, int):
        raise ValidationError({field: _("Enter a whole number of licences.")}, code="invalid")
    minimum = max(minimum, 1)
    if licences < minimum:
        raise ValidationError(
            {
                field: _("Enter at least %(minimum)d licences: one for each member registered now.")
                % {"minimum": minimum}
            },
            code="below_members",
        )
    if licences > MAX_LICENCES:
        raise ValidationError(
            {field: _("Enter at most %(maximum)d licences.") % {"maximum": MAX_LICENCES}}, code="too_many"
        )
    return licences


def check_contract_licences(contract_type: str, licences: int | None, *, members: int) -> int | None:
    """The licences of a contract: an annual one needs ``check_licences``; a monthly one has none (SPEC 3)."""
    return check_licences(licences, minimum=members) if contract_type == ContractType.ANNUAL else None


def check_start_on(subscription: Subscription, start_on: date, *, today: date) -> date:
    """A paid start date from today to the last grace day (SPEC 5.2)."""
    if not today <= start_on <= subscription.grace_last_day:
        raise ValidationError(
            {
                "start_on": _("Choose a start date from %(first)s to %(last)s.")
                % {"first": today.isoformat(), "last": subscription.grace_last_day.isoformat()}
            },
            code="date_out_of_range",
        )
    return start_on


def check_upgrade_plan(subscription: Subscription, plan: Plan) -> Plan:
    """An upgrade goes to an offered plan of a strictly higher tier (SPEC 5.4)."""
    if plan.tier <= subscription.plan.tier:
        raise ValidationError(
            {"plan": _("Choose a plan of a higher tier than %(plan)s.") % {"plan": subscription.plan.name}},
            code="not_higher_tier",
        )
    if not plan.is_active:
        raise ValidationError({"plan": _("This plan is no longer offered.")}, code="plan_retired")
    return plan


def check_licence_increase(subscription: Subscription, licences: int) -> int:
    """More licences than now (SPEC 3: reductions only at renewal), within ``check_licences``."""
    current = subscription.licences
    if isinstance(licences, bool) or not isinstance(licences, int) or licences <= current:
        raise ValidationError(
            {
                "licences": _(
                    "Enter more than the current %(licences)d licences. Licences can only be reduced at renewal."
                )
                % {"licences": current}
            },
            code="not_an_increase",
        )
    return check_licences(licences, minimum=current + 1)


def _terms_details(*, plan: Plan, contract_type: str, licences: int | None, start_on: date) -> dict:
    return {
        "plan": plan.code,
        "contract_type": contract_type,
        "licences": licences,
        "start_on": start_on.isoformat(),
    }


# --- conversion (SPEC 5.2) ------------------------------------------------------------------------------------


def _paid_contract(*, plan: Plan, contract_type: str, licences: int | None, start_on: date) -> dict:
    """The subscription's fields of a paid contract starting on ``start_on`` (SPEC 3, 5.2): the anchor, the first
    term (12 periods for annual, the first period for monthly) and the first invoice's due day."""
    annual = contract_type == ContractType.ANNUAL
    if annual:
        term_start, term_end = term_bounds(start_on, 0)
    else:
        first_period = period_bounds(start_on, 0)
        term_start, term_end = first_period.start, first_period.end
    return {
        "plan": plan,
        "paid_start": start_on,
        "contract_type": contract_type,
        "licences": licences if annual else None,
        "term_start": term_start,
        "term_end": term_end,
        "renewal_option": "",
        "renewal_licences": None,
        "next_period_index": 0,
        "next_invoice_on": period_bounds(start_on, 0).next_start,
    }


def _converted_details(details: dict, *, plan: Plan, contract_type: str, term_end: date) -> dict:
    return {**details, "unit_price": plan.unit_price(contract_type), "term_end": term_end.isoformat()}


@dataclass(frozen=True, slots=True)
class Conversion:
    """A paid contract to start on ``start_on`` (the billing anchor), with the details of its event."""

    subscription: Subscription
    plan: Plan
    contract_type: str
    licences: int | None
    start_on: date
    details: dict


def _start_paid_contracts(conversions: Sequence[Conversion], *, by: Actor, now: datetime) -> list[Subscription]:
    """Start the paid contracts (SPEC 3, 5.2): ``active``, the first rate segment at the catalog prices of now,
    a ``converted`` event each; the trial, if any is left, ends. A fixed number of queries for any number."""
    contracts = {
        item.subscription.pk: _paid_contract(
            plan=item.plan, contract_type=item.contract_type, licences=item.licences, start_on=item.start_on
        )
        for item in conversions
    }
    start_segments(
        {
            pk: (
                contract["paid_start"],
                Rate.catalog(contract["plan"], contract["contract_type"], contract["licences"]),
            )
            for pk, contract in contracts.items()
        }
    )
    converted = change_status_many(
        [item.subscription for item in conversions],
        Status.ACTIVE,
        kind="converted",
        by=by,
        at=now,
        details={
            item.subscription.pk: _converted_details(
                item.details,
                plan=item.plan,
                contract_type=item.contract_type,
                term_end=contracts[item.subscription.pk]["term_end"],
            )
            for item in conversions
        },
        fields=contracts,
    )
    logger.info("%d subscriptions converted to paid", len(converted))
    return converted


@transaction.atomic
def subscription_convert(
    *,
    subscription: Subscription,
    plan: Plan,
    contract_type: str,
    licences: int | None,
    start_on: date,
    by: Actor,
    now: datetime,
) -> Subscription:
    """Convert a trial (or a suspended trial) to paid now, or reserve the conversion for ``start_on`` (SPEC 5.2).

    ``start_on`` runs from today to the last grace day. Today: the subscription becomes ``active`` at once with
    ``start_on`` as its billing anchor. Later: the pending conversion is created, or changed if one exists.
    Annual contracts need ``licences`` >= the members registered now; monthly ones ignore ``licences``.
    """
    today = kst_date(now)
    subscription = lock_current(subscription, now=now)
    ensure_allowed(subscription, Action.CONVERT, today=today)
    if contract_type not in ContractType.values:
        raise ValidationError({"contract_type": _("Choose monthly or annual.")}, code="invalid_choice")
    if not plan.is_active:
        raise ValidationError({"plan": _("This plan is no longer offered.")}, code="plan_retired")
    check_start_on(subscription, start_on, today=today)
    licences = check_contract_licences(contract_type, licences, members=members_now(subscription))
    terms = _terms_details(plan=plan, contract_type=contract_type, licences=licences, start_on=start_on)
    reservation = pending_reservation(subscription, Reservation.Kind.CONVERSION)

    if start_on == today:
        if reservation is not None:
            reservation.state = Reservation.State.DONE
            reservation.resolved_at = now
            reservation.save(update_fields=["state", "resolved_at"])
            terms["reservation"] = reservation.pk
        conversion = Conversion(subscription, plan, contract_type, licences, start_on, terms)
        return _start_paid_contracts([conversion], by=by, now=now)[0]

    if reservation is None:
        Reservation.objects.create(
            subscription=subscription,
            kind=Reservation.Kind.CONVERSION,
            effective_on=start_on,
            plan=plan,
            contract_type=contract_type,
            licences=licences,
        )
        Subscription.objects.filter(pk=subscription.pk).touch()
        record_change(subscription, "conversion_reserved", by=by, at=now, details=terms)
        return subscription

    previous = _terms_details(
        plan=reservation.plan,
        contract_type=reservation.contract_type,
        licences=reservation.licences,
        start_on=reservation.effective_on,
    )
    if previous == terms:
        return subscription
    reservation.plan = plan
    reservation.contract_type = contract_type
    reservation.licences = licences
    reservation.effective_on = start_on
    reservation.save(update_fields=["plan", "contract_type", "licences", "effective_on"])
    Subscription.objects.filter(pk=subscription.pk).touch()
    record_change(subscription, "conversion_changed", by=by, at=now, details={"from": previous, "to": terms})
    return subscription


@transaction.atomic
def subscription_withdraw_conversion(*, subscription: Subscription, by: Actor, now: datetime) -> Subscription:
    """Withdraw the reserved paid conversion (SPEC 5.2: any time before its date)."""
    return withdraw_reservation(lock_subscription(subscription), Reservation.Kind.CONVERSION, by=by, at=now)


def _reserved_terms(reservation: Reservation, *, members: int) -> tuple[int | None, dict]:
    """The licences a reserved conversion starts with, and its event details (SPEC 3, 5.2).

    An annual workspace cannot hold more members than licences: should it have grown past the reserved count
    meanwhile (``members`` registered now), the contract starts with as many licences as members.
    """
    licences = reservation.licences
    details = _terms_details(
        plan=reservation.plan,
        contract_type=reservation.contract_type,
        licences=licences,
        start_on=reservation.effective_on,
    )
    details["reservation"] = reservation.pk
    if reservation.contract_type == ContractType.ANNUAL and (licences or 0) < max(members, 1):
        licences = max(members, 1)
        details["licences_raised_to_members"] = licences
    return licences, details


@transaction.atomic
def subscription_activate_reserved_conversion(*, subscription: Subscription, now: datetime, by: Actor) -> Subscription:
    """For the job (SPEC 6): start the reserved conversion whose date has come (KST), on one subscription.

    ``subscription_activate_reserved_conversion_many`` on a batch of one; returns the locked, current row
    (``active`` once converted).
    """
    return lock_one(subscription, subscription_activate_reserved_conversion_many, now=now, by=by)


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def subscription_activate_reserved_conversion_many(
    *, subscriptions: list[Subscription], now: datetime, by: Actor
) -> int:
    """The conversion job's chunk (SPEC 5.2, 6): start the reserved conversions whose date has come (KST).

    The caller holds the rows' locks. Reads the pending conversions of the chunk with their plans in one query
    and re-checks each under the lock (pending, due as of today KST): a withdrawn or not yet due one does
    nothing. A subscription no longer in trial or grace (ended, or converted meanwhile) withdraws its
    reservation. The others convert with the reservation's terms, anchored on its date (even if the job runs
    late), at the catalog prices of now; should an annual workspace have grown past the reserved licences, the
    contract starts with as many licences as members. A bounded number of queries whatever the size of the
    chunk. Returns how many became ``active``.
    """
    today = kst_date(now)
    by_pk = {subscription.pk: subscription for subscription in subscriptions}
    reservations = due_reservations(subscriptions, Reservation.Kind.CONVERSION, today=today)
    ended = [pk for pk in reservations if by_pk[pk].status not in (Status.TRIAL, Status.SUSPENDED)]
    if ended:
        # The service ended (or was converted) before the date came: the reservation has nothing left to do.
        Reservation.objects.filter(pk__in=[reservations.pop(pk).pk for pk in ended]).update(
            state=Reservation.State.WITHDRAWN, resolved_at=now
        )
        Subscription.objects.filter(pk__in=ended).touch()
    if not reservations:
        return 0
    annual = [
        by_pk[pk] for pk, reservation in reservations.items() if reservation.contract_type == ContractType.ANNUAL
    ]
    members = members_of(annual) if annual else {}
    conversions = []
    for pk, reservation in reservations.items():
        licences, details = _reserved_terms(reservation, members=members.get(pk, 0))
        conversions.append(
            Conversion(
                by_pk[pk], reservation.plan, reservation.contract_type, licences, reservation.effective_on, details
            )
        )
    Reservation.objects.filter(pk__in=[reservation.pk for reservation in reservations.values()]).update(
        state=Reservation.State.DONE, resolved_at=now
    )
    return len(_start_paid_contracts(conversions, by=by, now=now))


# --- upgrade and licences (SPEC 5.4, 3) -----------------------------------------------------------------------


def _upgrade_rate(subscription: Subscription, plan: Plan, segment: RateSegment | None) -> Rate:
    """The terms an upgrade of a paid contract starts today: the new plan's catalog price for the contract type,
    the same quantity (the annual licences; none for monthly, billed on the members at the period's close)."""
    quantity = segment.quantity if segment is not None else subscription.licences
    return Rate.catalog(plan, subscription.contract_type, quantity)


@dataclass(frozen=True, slots=True)
class UpgradeCharge:
    """What an upgrade of a paid contract today costs for the rest of the current billing period (SPEC 5.4)."""

    period: BillingPeriod
    line: UsageLine  # the new segment's line on the period's invoice: unit price, quantity, days, amount
    # Monthly contracts: the quantity is the members registered now; the invoice counts those at the close.
    billed_on_members: bool


def upgrade_charge(*, subscription: Subscription, plan: Plan, today: date) -> UpgradeCharge | None:
    """The rest of the current period at ``plan``'s price, as the period's invoice will bill it (issue 20): the
    terms ``subscription_upgrade`` starts (``_upgrade_rate``) from today to the period's end, through billing's
    pure proration. None for a trial: the upgrade only changes the trial plan, at no charge."""
    if subscription.status != Status.ACTIVE:
        return None
    rate = _upgrade_rate(subscription, plan, open_segments([subscription.pk]).get(subscription.pk))
    quantity = rate.quantity if rate.quantity is not None else member_count(subscription.workspace_id)
    period = period_containing(subscription.paid_start, today)
    line = rest_of_period_charge(unit_price=rate.unit_price, quantity=quantity, starts_on=today, period=period)
    return UpgradeCharge(period=period, line=line, billed_on_members=rate.quantity is None)


@transaction.atomic
def subscription_upgrade(*, subscription: Subscription, plan: Plan, by: Actor, now: datetime) -> Subscription:
    """Upgrade to a plan of a strictly higher tier, effective today (SPEC 5.4).

    Trial: the trial plan changes; the trial end stays; a reserved conversion to a lower plan is moved up to the
    new plan (keeping its contract type, licences and date). Active: a new rate segment starts today at the new
    plan's price for the contract type, with the same quantity; this period's invoice prorates both segments by
    day. Not for suspended subscriptions nor with a pending cancellation. The contract is the calendar's
    (issue 22): a term that has ended renews first (``lock_current``), so the new segment continues the contract
    of the day, whether or not the renewal job has run since midnight.
    """
    today = kst_date(now)
    subscription = lock_current(subscription, now=now)
    ensure_allowed(subscription, Action.UPGRADE, today=today)
    current_plan = subscription.plan
    check_upgrade_plan(subscription, plan)
    details = {"from_plan": current_plan.code, "to_plan": plan.code, "effective_on": today.isoformat()}
    if subscription.status == Status.ACTIVE:
        current = open_segments([subscription.pk])
        rate = _upgrade_rate(subscription, plan, current.get(subscription.pk))
        start_segments({subscription.pk: (today, rate)}, current=current)
        details["unit_price"] = rate.unit_price
    else:
        reservation = pending_reservation(subscription, Reservation.Kind.CONVERSION)
        if reservation is not None and reservation.plan.tier < plan.tier:
            # A reserved conversion to a lower plan would undo the upgrade on its date: it follows the upgrade.
            details["reserved_conversion_plan"] = {"from": reservation.plan.code, "to": plan.code}
            reservation.plan = plan
            reservation.save(update_fields=["plan"])
    subscription.plan = plan
    save_subscription(subscription, "plan")
    record_events([subscription], "upgraded", by=by, at=now, details={subscription.pk: details})
    return subscription


def can_increase_licences(subscription: Subscription, *, today: date) -> bool:
    """Licences can be added to a running annual contract that is not ending (SPEC 3)."""
    return Action.ADD_LICENCES in allowed_actions(subscription, today=today)


@transaction.atomic
def subscription_increase_licences(
    *, subscription: Subscription, licences: int, by: Actor, now: datetime
) -> Subscription:
    """Raise an active annual contract's licences from today (SPEC 3); reductions only happen at renewal.

    A new rate segment starts today with the same agreed unit prices and the new quantity; the invoice prorates
    both segments by day. The contract is the calendar's: a term that has ended renews first (``lock_current``).
    """
    today = kst_date(now)
    subscription = lock_current(subscription, now=now)
    ensure_allowed(
        subscription,
        Action.ADD_LICENCES,
        today=today,
        message=_(
            "Licences can be increased for active annual contracts only, and not while a cancellation is reserved."
        ),
    )
    current_licences = subscription.licences
    check_licence_increase(subscription, licences)
    current = open_segments([subscription.pk])
    segment = current[subscription.pk]
    # The running contract keeps the prices it was agreed at (SPEC 3); only the quantity changes.
    rate = Rate(segment.plan, ContractType.ANNUAL, segment.unit_price, segment.list_unit_price, licences)
    start_segments({subscription.pk: (today, rate)}, current=current)
    subscription.licences = licences
    save_subscription(subscription, "licences")
    record_events(
        [subscription],
        "licences_increased",
        by=by,
        at=now,
        details={subscription.pk: {"from": current_licences, "to": licences, "effective_on": today.isoformat()}},
    )
    return subscription
