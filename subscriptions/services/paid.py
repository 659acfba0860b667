"""Paid service (SPEC 5.2-5.4, 6): conversion, renewal option, upgrade, licences, and the renewal at a term's end.

Every service locks the subscription first (core.lock_subscription), re-checks the rules on the locked row
(core.ensure_allowed), and writes its lifecycle events in the same transaction. Rule dates are KST dates taken
from ``now``. Conversion, upgrade, licence increases and renewals are all rate segments (billing.RateSegment):
the open segment ends on the day the new terms start, and the invoices prorate both by day.
"""

import logging
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing.models import ContractType, Plan, RateSegment
from billing.periods import ONE_DAY, period_bounds, period_index_containing, period_start, term_bounds
from billing.selectors import workspace_member_count
from billing.services import pending_cancellation_dates, update_rows, workspace_member_counts
from works_console.dates import kst_date

from ..models import Action, LifecycleEvent, RenewalOption, Reservation, Status, Subscription
from .cancel import end_service
from .core import (
    Actor,
    allowed_actions,
    change_status,
    ensure_allowed,
    lock_subscription,
    pending_reservation,
    record_event,
    withdraw_reservation,
)

logger = logging.getLogger(__name__)

# A sanity bound on a licence count typed by a customer (not a business rule: a larger deal goes through sales).
MAX_LICENCES = 100_000
ANNUAL_TERM_PERIODS = 12


# --- shared rules --------------------------------------------------------------------------------------------


def _members(subscription: Subscription) -> int:
    return workspace_member_count(workspace_id=subscription.workspace_id)


def _check_licences(licences: int | None, *, minimum: int, field: str = "licences") -> int:
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


def _ensure_term_running(subscription: Subscription, today: date) -> None:
    """Contract changes need a running term; past its end, the renewal job applies the renewal option first."""
    if subscription.term_end is not None and today > subscription.term_end:
        raise ValidationError(
            _("The contract term has just ended and is being renewed. Try again in a few minutes."),
            code="term_ended",
        )


def _open_segment(subscription: Subscription) -> RateSegment | None:
    return RateSegment.objects.filter(subscription=subscription, ends_on__isnull=True).select_related("plan").first()


def _start_segment(
    subscription: Subscription,
    *,
    starts_on: date,
    plan: Plan,
    contract_type: str,
    unit_price: int,
    list_unit_price: int,
    quantity: int | None,
) -> RateSegment:
    """New rate terms from ``starts_on``: the open segment ends there (exclusive) and a new one opens.

    If the open segment started that same day nothing was billed at its terms yet, so it is replaced rather
    than leaving an empty segment behind.
    """
    terms = {
        "plan": plan,
        "contract_type": contract_type,
        "unit_price": unit_price,
        "list_unit_price": list_unit_price,
        "quantity": quantity,
    }
    current = _open_segment(subscription)
    if current is not None and current.starts_on >= starts_on:
        for name, value in terms.items():
            setattr(current, name, value)
        current.save(update_fields=list(terms))
        return current
    if current is not None:
        current.ends_on = starts_on
        current.save(update_fields=["ends_on"])
    return RateSegment.objects.create(subscription=subscription, starts_on=starts_on, **terms)


def _annual_term_from(anchor: date, term_start: date) -> tuple[date, date]:
    """The 12-period term starting on ``term_start`` (a billing period's first day)."""
    first = period_index_containing(anchor, term_start)
    return period_start(anchor, first), period_start(anchor, first + ANNUAL_TERM_PERIODS) - ONE_DAY


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


def _convert_now(
    subscription: Subscription,
    *,
    plan: Plan,
    contract_type: str,
    licences: int | None,
    start_on: date,
    by: Actor,
    now: datetime,
    details: dict,
) -> Subscription:
    """Start the paid contract on ``start_on`` (the billing anchor); the trial, if any is left, ends."""
    contract = _paid_contract(plan=plan, contract_type=contract_type, licences=licences, start_on=start_on)
    for name, value in contract.items():
        setattr(subscription, name, value)
    _start_segment(
        subscription,
        starts_on=start_on,
        plan=plan,
        contract_type=contract_type,
        # The prices as of now; a later catalog change never reaches this segment (SPEC 3).
        unit_price=plan.unit_price(contract_type),
        list_unit_price=plan.monthly_unit_price,
        quantity=contract["licences"],
    )
    change_status(
        subscription,
        Status.ACTIVE,
        by=by,
        at=now,
        kind="converted",
        details=_converted_details(details, plan=plan, contract_type=contract_type, term_end=contract["term_end"]),
    )
    subscription.save()
    logger.info("subscription %s converted to paid from %s", subscription.pk, start_on)
    return subscription


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
    subscription = lock_subscription(subscription)
    ensure_allowed(subscription, Action.CONVERT)
    today = kst_date(now)
    if contract_type not in ContractType.values:
        raise ValidationError({"contract_type": _("Choose monthly or annual.")}, code="invalid_choice")
    if not plan.is_active:
        raise ValidationError({"plan": _("This plan is no longer offered.")}, code="plan_retired")
    if not today <= start_on <= subscription.grace_last_day:
        raise ValidationError(
            {
                "start_on": _("Choose a start date from %(first)s to %(last)s.")
                % {"first": today.isoformat(), "last": subscription.grace_last_day.isoformat()}
            },
            code="date_out_of_range",
        )
    if contract_type == ContractType.ANNUAL:
        licences = _check_licences(licences, minimum=_members(subscription))
    else:
        licences = None
    terms = _terms_details(plan=plan, contract_type=contract_type, licences=licences, start_on=start_on)
    reservation = pending_reservation(subscription, Reservation.Kind.CONVERSION)

    if start_on == today:
        if reservation is not None:
            reservation.state = Reservation.State.DONE
            reservation.resolved_at = now
            reservation.save(update_fields=["state", "resolved_at"])
            terms["reservation"] = reservation.pk
        return _convert_now(
            subscription,
            plan=plan,
            contract_type=contract_type,
            licences=licences,
            start_on=start_on,
            by=by,
            now=now,
            details=terms,
        )

    if reservation is None:
        Reservation.objects.create(
            subscription=subscription,
            kind=Reservation.Kind.CONVERSION,
            effective_on=start_on,
            plan=plan,
            contract_type=contract_type,
            licences=licences,
        )
        record_event(
            subscription,
            "conversion_reserved",
            by=by,
            at=now,
            from_status=subscription.status,
            to_status=subscription.status,
            details=terms,
        )
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
    record_event(
        subscription,
        "conversion_changed",
        by=by,
        at=now,
        from_status=subscription.status,
        to_status=subscription.status,
        details={"from": previous, "to": terms},
    )
    return subscription


@transaction.atomic
def subscription_withdraw_conversion(*, subscription: Subscription, by: Actor, now: datetime) -> Subscription:
    """Withdraw the reserved paid conversion (SPEC 5.2: any time before its date)."""
    return withdraw_reservation(
        lock_subscription(subscription),
        kind=Reservation.Kind.CONVERSION,
        action=Action.WITHDRAW_CONVERSION,
        event="conversion_withdrawn",
        date_detail="start_on",
        nothing_reserved=_("There is no reserved conversion to withdraw."),
        by=by,
        at=now,
    )


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
    """For the job (SPEC 6): start the reserved conversion whose date has come (KST).

    Re-reads the reservation under the lock: withdrawn, done or not due yet -> changes nothing. Otherwise
    converts with the reservation's terms, anchored on its date (even if the job runs late), at the catalog
    prices of now, and marks it done. Returns the locked, current subscription either way (``active`` once
    converted). Should the workspace have grown past the
    reserved licences meanwhile, the annual contract starts with as many licences as members.
    """
    subscription = lock_subscription(subscription)
    reservation = (
        Reservation.objects.filter(
            subscription=subscription, kind=Reservation.Kind.CONVERSION, state=Reservation.State.PENDING
        )
        .select_related("plan")
        .first()
    )
    if reservation is None or reservation.effective_on > kst_date(now):
        return subscription
    reservation.resolved_at = now
    if subscription.status not in (Status.TRIAL, Status.SUSPENDED):
        # The service ended (or was converted) before the date came: the reservation has nothing left to do.
        reservation.state = Reservation.State.WITHDRAWN
        reservation.save(update_fields=["state", "resolved_at"])
        return subscription
    members = _members(subscription) if reservation.contract_type == ContractType.ANNUAL else 0
    licences, details = _reserved_terms(reservation, members=members)
    reservation.state = Reservation.State.DONE
    reservation.save(update_fields=["state", "resolved_at"])
    return _convert_now(
        subscription,
        plan=reservation.plan,
        contract_type=reservation.contract_type,
        licences=licences,
        start_on=reservation.effective_on,
        by=by,
        now=now,
        details=details,
    )


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def subscription_activate_reserved_conversion_many(
    *, subscriptions: list[Subscription], now: datetime, by: Actor
) -> int:
    """``subscription_activate_reserved_conversion`` for a chunk of the conversion job, set-based (SPEC 5.2, 6).

    The caller holds the rows' locks (the job's claimed chunk). Reads the pending conversions of the chunk with
    their plans in one query and re-checks each under the lock (pending, due as of today KST): a withdrawn or not
    yet due one does nothing. A subscription no longer in trial or grace withdraws its reservation, as the per-row
    service does. The others start their paid contracts exactly as the per-row service would (anchor on the
    reserved date, catalog prices of now, annual licences raised to the members), written with one INSERT of rate
    segments, one UPDATE of the subscriptions, one of the reservations and one INSERT of ``converted`` events: a
    bounded number of queries whatever the size of the chunk. A trial never had a rate segment (only paid services
    write them), so every contract opens the first one; should the one-open-segment constraint say otherwise,
    nothing of the batch is kept and the chunk converts row by row. Returns how many became ``active``.
    """
    today = kst_date(now)
    by_pk = {subscription.pk: subscription for subscription in subscriptions}
    reservations = {
        reservation.subscription_id: reservation
        for reservation in Reservation.objects.filter(
            subscription_id__in=list(by_pk),
            kind=Reservation.Kind.CONVERSION,
            state=Reservation.State.PENDING,
            effective_on__lte=today,
        ).select_related("plan")
    }
    if not reservations:
        return 0
    ended = [pk for pk in reservations if by_pk[pk].status not in (Status.TRIAL, Status.SUSPENDED)]
    if ended:
        # The service ended (or was converted) before the date came: the reservation has nothing left to do.
        Reservation.objects.filter(pk__in=[reservations.pop(pk).pk for pk in ended]).update(
            state=Reservation.State.WITHDRAWN, resolved_at=now
        )
    if not reservations:
        return 0
    annual_workspaces = {
        by_pk[pk].workspace_id
        for pk, reservation in reservations.items()
        if reservation.contract_type == ContractType.ANNUAL and by_pk[pk].workspace_id is not None
    }
    members = workspace_member_counts(annual_workspaces) if annual_workspaces else {}

    contracts, segments, events = {}, [], []
    actor, user = by
    for pk, reservation in reservations.items():
        subscription, plan = by_pk[pk], reservation.plan
        count = members.get(subscription.workspace_id, 0) if reservation.contract_type == ContractType.ANNUAL else 0
        licences, details = _reserved_terms(reservation, members=count)
        contract = _paid_contract(
            plan=plan, contract_type=reservation.contract_type, licences=licences, start_on=reservation.effective_on
        )
        contracts[pk] = contract
        segments.append(
            RateSegment(
                subscription_id=pk,
                plan=plan,
                contract_type=reservation.contract_type,
                # The prices as of now; a later catalog change never reaches this segment (SPEC 3).
                unit_price=plan.unit_price(reservation.contract_type),
                list_unit_price=plan.monthly_unit_price,
                quantity=contract["licences"],
                starts_on=reservation.effective_on,
            )
        )
        events.append(
            LifecycleEvent(
                subscription_id=pk,
                kind="converted",
                from_status=subscription.status,
                to_status=Status.ACTIVE,
                actor=actor,
                actor_user=user,
                at=now,
                details=_converted_details(
                    details, plan=plan, contract_type=reservation.contract_type, term_end=contract["term_end"]
                ),
            )
        )
    try:
        with transaction.atomic():
            RateSegment.objects.bulk_create(segments)
    except IntegrityError:
        logger.warning("conversions of a chunk of %d found an open rate segment: row by row", len(subscriptions))
        return sum(
            subscription_activate_reserved_conversion(subscription=by_pk[pk], now=now, by=by).status == Status.ACTIVE
            for pk in reservations
        )
    update_rows(
        Subscription,
        {pk: {**contract, "plan": contract["plan"].pk, "status": Status.ACTIVE} for pk, contract in contracts.items()},
    )
    Reservation.objects.filter(pk__in=[reservation.pk for reservation in reservations.values()]).update(
        state=Reservation.State.DONE, resolved_at=now
    )
    LifecycleEvent.objects.bulk_create(events)
    for pk, contract in contracts.items():
        subscription = by_pk[pk]
        for name, value in contract.items():
            setattr(subscription, name, value)
        subscription.status = Status.ACTIVE
    logger.info("converted %d subscriptions to paid", len(contracts))
    return len(contracts)


# --- renewal option (SPEC 5.3) --------------------------------------------------------------------------------


@transaction.atomic
def subscription_set_renewal_option(
    *, subscription: Subscription, option: str, licences: int | None, by: Actor, now: datetime
) -> Subscription:
    """Set what happens at the end of the current term (SPEC 5.3); editable until then.

    - ``renew_annual``: a new 12-month annual term. An annual contract keeps its licences unless ``licences``
      sets another count for the next term (lower is allowed; at least the members registered now). A monthly
      contract switches to annual at its term end (the current billing period) and needs ``licences``.
    - ``switch_to_monthly``: a monthly contract from the day after the term end (the default when never set).
    - ``do_not_renew``: the service ends the day after the term end, without a penalty.
    """
    subscription = lock_subscription(subscription)
    ensure_allowed(subscription, Action.CHANGE_RENEWAL)
    _ensure_term_running(subscription, kst_date(now))
    if option not in RenewalOption.values:
        raise ValidationError({"option": _("Choose a renewal option.")}, code="invalid_choice")
    renewal_licences = None
    if option == RenewalOption.RENEW_ANNUAL:
        if licences is None and subscription.contract_type == ContractType.ANNUAL:
            licences = subscription.licences
        licences = _check_licences(licences, minimum=_members(subscription))
        if licences != subscription.licences:
            renewal_licences = licences
    before = {"option": subscription.renewal_option, "licences": subscription.renewal_licences}
    after = {"option": option, "licences": renewal_licences}
    if before == after:
        return subscription
    subscription.renewal_option = option
    subscription.renewal_licences = renewal_licences
    subscription.save(update_fields=["renewal_option", "renewal_licences"])
    record_event(
        subscription,
        "renewal_option_changed",
        by=by,
        at=now,
        from_status=subscription.status,
        to_status=subscription.status,
        details={"from": before, "to": after, "effective_on": (subscription.term_end + ONE_DAY).isoformat()},
    )
    return subscription


# --- upgrade and licences (SPEC 5.4, 3) -----------------------------------------------------------------------


@transaction.atomic
def subscription_upgrade(*, subscription: Subscription, plan: Plan, by: Actor, now: datetime) -> Subscription:
    """Upgrade to a plan of a strictly higher tier, effective today (SPEC 5.4).

    Trial: the trial plan changes; the trial end stays; a reserved conversion to a lower plan is moved up to the
    new plan (keeping its contract type, licences and date). Active: a new rate segment starts today at the new
    plan's price for the contract type, with the same quantity; this period's invoice prorates both segments by
    day. Not for suspended subscriptions nor with a pending cancellation.
    """
    subscription = lock_subscription(subscription)
    ensure_allowed(subscription, Action.UPGRADE)
    current_plan = subscription.plan
    if plan.tier <= current_plan.tier:
        raise ValidationError(
            {"plan": _("Choose a plan of a higher tier than %(plan)s.") % {"plan": current_plan.name}},
            code="not_higher_tier",
        )
    if not plan.is_active:
        raise ValidationError({"plan": _("This plan is no longer offered.")}, code="plan_retired")
    today = kst_date(now)
    details = {"from_plan": current_plan.code, "to_plan": plan.code, "effective_on": today.isoformat()}
    if subscription.status == Status.ACTIVE:
        _ensure_term_running(subscription, today)
        current = _open_segment(subscription)
        quantity = current.quantity if current is not None else subscription.licences
        unit_price = plan.unit_price(subscription.contract_type)
        _start_segment(
            subscription,
            starts_on=today,
            plan=plan,
            contract_type=subscription.contract_type,
            unit_price=unit_price,
            list_unit_price=plan.monthly_unit_price,
            quantity=quantity,
        )
        details["unit_price"] = unit_price
    else:
        reservation = pending_reservation(subscription, Reservation.Kind.CONVERSION)
        if reservation is not None and reservation.plan.tier < plan.tier:
            # A reserved conversion to a lower plan would undo the upgrade on its date: it follows the upgrade.
            details["reserved_conversion_plan"] = {"from": reservation.plan.code, "to": plan.code}
            reservation.plan = plan
            reservation.save(update_fields=["plan"])
    subscription.plan = plan
    subscription.save(update_fields=["plan"])
    record_event(
        subscription,
        "upgraded",
        by=by,
        at=now,
        from_status=subscription.status,
        to_status=subscription.status,
        details=details,
    )
    return subscription


def can_increase_licences(subscription: Subscription) -> bool:
    """Licences can be added to a running annual contract that is not ending (SPEC 3)."""
    return Action.ADD_LICENCES in allowed_actions(subscription)


@transaction.atomic
def subscription_increase_licences(
    *, subscription: Subscription, licences: int, by: Actor, now: datetime
) -> Subscription:
    """Raise an active annual contract's licences from today (SPEC 3); reductions only happen at renewal.

    A new rate segment starts today with the same agreed unit prices and the new quantity; the invoice prorates
    both segments by day.
    """
    subscription = lock_subscription(subscription)
    if not can_increase_licences(subscription):
        raise ValidationError(
            _("Licences can be increased for active annual contracts only, and not while a cancellation is reserved."),
            code="not_allowed",
        )
    today = kst_date(now)
    _ensure_term_running(subscription, today)
    current_licences = subscription.licences
    if isinstance(licences, bool) or not isinstance(licences, int) or licences <= current_licences:
        raise ValidationError(
            {
                "licences": _(
                    "Enter more than the current %(licences)d licences. Licences can only be reduced at renewal."
                )
                % {"licences": current_licences}
            },
            code="not_an_increase",
        )
    _check_licences(licences, minimum=current_licences + 1)
    current = _open_segment(subscription)
    _start_segment(
        subscription,
        starts_on=today,
        plan=current.plan,
        contract_type=ContractType.ANNUAL,
        # The running contract keeps the prices it was agreed at (SPEC 3); only the quantity changes.
        unit_price=current.unit_price,
        list_unit_price=current.list_unit_price,
        quantity=licences,
    )
    subscription.licences = licences
    subscription.save(update_fields=["licences"])
    record_event(
        subscription,
        "licences_increased",
        by=by,
        at=now,
        from_status=subscription.status,
        to_status=subscription.status,
        details={"from": current_licences, "to": licences, "effective_on": today.isoformat()},
    )
    return subscription


# --- renewal at the term's end (SPEC 5.3, 6) ------------------------------------------------------------------


def _renew_annual(subscription: Subscription, *, starts_on: date, by: Actor, now: datetime) -> None:
    term_start, term_end = _annual_term_from(subscription.paid_start, starts_on)
    members = _members(subscription)
    requested = subscription.renewal_licences or subscription.licences or members
    # Never fewer licences than members registered: an annual workspace cannot hold more (SPEC 3).
    licences = max(requested, members, 1)
    plan = subscription.plan
    previous_contract = subscription.contract_type
    _start_segment(
        subscription,
        starts_on=starts_on,
        plan=plan,
        contract_type=ContractType.ANNUAL,
        unit_price=plan.annual_unit_price,
        list_unit_price=plan.monthly_unit_price,
        quantity=licences,
    )
    subscription.contract_type = ContractType.ANNUAL
    subscription.licences = licences
    subscription.renewal_licences = None
    subscription.term_start, subscription.term_end = term_start, term_end
    subscription.save(update_fields=["contract_type", "licences", "renewal_licences", "term_start", "term_end"])
    record_event(
        subscription,
        "renewed",
        by=by,
        at=now,
        from_status=subscription.status,
        to_status=subscription.status,
        details={
            "option": RenewalOption.RENEW_ANNUAL,
            "from_contract_type": previous_contract,
            "contract_type": ContractType.ANNUAL,
            "licences": licences,
            "unit_price": plan.annual_unit_price,
            "term_start": term_start.isoformat(),
            "term_end": term_end.isoformat(),
        },
    )


def _continue_monthly(subscription: Subscription, *, starts_on: date, by: Actor, now: datetime) -> None:
    period = period_bounds(subscription.paid_start, period_index_containing(subscription.paid_start, starts_on))
    if subscription.contract_type != ContractType.MONTHLY:
        plan = subscription.plan
        _start_segment(
            subscription,
            starts_on=starts_on,
            plan=plan,
            contract_type=ContractType.MONTHLY,
            unit_price=plan.monthly_unit_price,
            list_unit_price=plan.monthly_unit_price,
            quantity=None,
        )
        record_event(
            subscription,
            "renewed",
            by=by,
            at=now,
            from_status=subscription.status,
            to_status=subscription.status,
            details={
                "option": RenewalOption.SWITCH_TO_MONTHLY,
                "from_contract_type": subscription.contract_type,
                "contract_type": ContractType.MONTHLY,
                "unit_price": plan.monthly_unit_price,
                "term_start": period.start.isoformat(),
                "term_end": period.end.isoformat(),
            },
        )
        subscription.contract_type = ContractType.MONTHLY
        subscription.licences = None
        subscription.renewal_licences = None
    # A running monthly contract just rolls into its next term (billing period): same segment, no event.
    subscription.term_start, subscription.term_end = period.start, period.end
    subscription.save(update_fields=["contract_type", "licences", "renewal_licences", "term_start", "term_end"])


def rolls_monthly_term(subscription: Subscription, today: date) -> bool:
    """A running monthly contract whose term (its billing period) ended and that stays monthly (SPEC 5.3): the
    renewal is then a plain move of the term dates, with no new segment and no event."""
    return (
        subscription.status == Status.ACTIVE
        and subscription.contract_type == ContractType.MONTHLY
        and subscription.effective_renewal_option == RenewalOption.SWITCH_TO_MONTHLY
        and subscription.term_end < today
    )


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def subscription_roll_monthly_term_many(*, subscriptions: list[Subscription], now: datetime) -> int:
    """``subscription_renew_at_term_end`` for the monthly contracts of a renewal chunk, set-based (SPEC 5.3, 6).

    The caller holds the rows' locks. Each subscription that ``rolls_monthly_term`` moves its term to the billing
    period that contains today (one term per ended period, as the per-row loop does), unless a pending cancellation
    dated on or before a new term's first day stops it there (the cancellation job ends the service instead). Two
    queries whatever the number of rows: the pending cancellations, and one UPDATE. Other rows are left alone.
    Returns how many subscriptions moved their term.
    """
    today = kst_date(now)
    rolling = [subscription for subscription in subscriptions if rolls_monthly_term(subscription, today)]
    if not rolling:
        return 0
    cancellations = pending_cancellation_dates([subscription.pk for subscription in rolling])
    changes = {}
    for subscription in rolling:
        anchor, cancellation_date = subscription.paid_start, cancellations.get(subscription.pk)
        term_start, term_end = subscription.term_start, subscription.term_end
        while term_end < today:
            starts_on = term_end + ONE_DAY
            if cancellation_date is not None and cancellation_date <= starts_on:
                break
            period = period_bounds(anchor, period_index_containing(anchor, starts_on))
            term_start, term_end = period.start, period.end
        if (term_start, term_end) != (subscription.term_start, subscription.term_end):
            subscription.term_start, subscription.term_end = term_start, term_end
            changes[subscription.pk] = {"term_start": term_start, "term_end": term_end}
    return update_rows(Subscription, changes)


@transaction.atomic
def subscription_renew_at_term_end(*, subscription: Subscription, now: datetime, by: Actor) -> Subscription:
    """For the job (SPEC 5.3, 6): apply the renewal option of every term that has ended (KST).

    Under the lock, while the term end is before today: ``renew_annual`` starts a new 12-month annual term at
    the plan's catalog price of now (licences: the renewal count if one was set, never below the members);
    ``switch_to_monthly`` (also the default) continues monthly from the day after (a new monthly segment if the
    contract was annual); ``do_not_renew`` ends the service the day after the term end, with no penalty: final
    invoice, ``terminated``, purge. A cancellation reserved for the day after the term end (or earlier) wins:
    the cancellation job ends the service instead. Idempotent: nothing changes when nothing is due. Returns the
    locked, current subscription (``terminated`` after ``do_not_renew``).
    """
    subscription = lock_subscription(subscription)
    today = kst_date(now)
    if subscription.status != Status.ACTIVE or subscription.term_end >= today:
        return subscription
    cancellation = pending_reservation(subscription, Reservation.Kind.CANCELLATION)
    while subscription.status == Status.ACTIVE and subscription.term_end < today:
        starts_on = subscription.term_end + ONE_DAY
        if cancellation is not None and cancellation.effective_on <= starts_on:
            break
        option = subscription.effective_renewal_option
        if option == RenewalOption.DO_NOT_RENEW:
            end_service(
                subscription,
                on=starts_on,
                penalty=None,
                kind="not_renewed",
                by=by,
                now=now,
                details={"term_end": subscription.term_end.isoformat()},
            )
        elif option == RenewalOption.RENEW_ANNUAL:
            _renew_annual(subscription, starts_on=starts_on, by=by, now=now)
        else:
            _continue_monthly(subscription, starts_on=starts_on, by=by, now=now)
    return subscription
