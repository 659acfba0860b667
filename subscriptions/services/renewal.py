"""The renewal option (SPEC 5.3), the renewal at a term's end and the renewal job's chunk (SPEC 6): renew, then
invoice every ended period.

Set-based over locked subscriptions: a job's chunk or a batch of one. Each round moves every due subscription
one term on, grouped by renewal option (a new annual term, annual to monthly, do not renew), in a fixed number
of queries; a running monthly contract rolls all its ended terms at once. Rounds repeat only while a term is
still behind today, so the queries grow with the years caught up, never with the number of subscriptions.
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import ContractType
from billing.periods import period_containing, term_from
from works_console.dates import ONE_DAY, kst_date
from works_console.db import update_rows

from ..models import Action, RenewalOption, Status, Subscription
from ..standing import renewed_licences, standing_on
from .cancel import Ending, end_services
from .core import Actor, ensure_allowed, lock_current, lock_one, record_change, record_events, save_subscription
from .invoicing import issue_invoices, members_of, pending_cancellation_dates
from .paid import check_licences, members_now
from .segments import Rate, load_plans, start_segments

logger = logging.getLogger(__name__)


def renewal_licences_for(subscription: Subscription, option: str, licences: int | None, *, members: int) -> int | None:
    """The licences of the next term (SPEC 5.3): for ``renew_annual`` only, the current ones of an annual contract
    unless another count is given (lower is allowed, at least the members registered now)."""
    if option != RenewalOption.RENEW_ANNUAL:
        return None
    if licences is None and subscription.contract_type == ContractType.ANNUAL:
        licences = subscription.licences
    return check_licences(licences, minimum=members)


@transaction.atomic
def subscription_set_renewal_option(
    *, subscription: Subscription, option: str, licences: int | None, by: Actor, now: datetime
) -> Subscription:
    """Set what happens at the end of the current term (SPEC 5.3); editable until then.

    The current term is the calendar's (issue 22): the row is first brought up to date (``lock_current``), so an
    option chosen after a term ended, before the renewal job ran, is for the term running now.

    - ``renew_annual``: a new 12-month annual term. An annual contract keeps its licences unless ``licences``
      sets another count for the next term (lower is allowed; at least the members registered now). A monthly
      contract switches to annual at its term end (the current billing period) and needs ``licences``.
    - ``switch_to_monthly``: a monthly contract from the day after the term end (the default when never set).
    - ``do_not_renew``: the service ends the day after the term end, without a penalty.
    """
    today = kst_date(now)
    subscription = lock_current(subscription, now=now)
    ensure_allowed(subscription, Action.CHANGE_RENEWAL, today=today)
    if option not in RenewalOption.values:
        raise ValidationError({"option": _("Choose a renewal option.")}, code="invalid_choice")
    licences = renewal_licences_for(subscription, option, licences, members=members_now(subscription))
    renewal_licences = licences if licences is not None and licences != subscription.licences else None
    before = {"option": subscription.renewal_option, "licences": subscription.renewal_licences}
    after = {"option": option, "licences": renewal_licences}
    if before == after:
        return subscription
    subscription.renewal_option = option
    subscription.renewal_licences = renewal_licences
    save_subscription(subscription, "renewal_option", "renewal_licences")
    effective_on = standing_on(subscription, today=today).renewal_effective_on
    change = {"from": before, "to": after, "effective_on": effective_on.isoformat()}
    record_change(subscription, "renewal_option_changed", by=by, at=now, details=change)
    return subscription


# --- the renewal at a term's end (SPEC 5.3, 6) ----------------------------------------------------------------


def _blocked(subscription: Subscription, cancellations: Mapping[int, date]) -> bool:
    """A cancellation reserved for the day after the term end (or earlier) wins: the cancellation job ends it."""
    cancellation_date = cancellations.get(subscription.pk)
    return cancellation_date is not None and cancellation_date <= subscription.term_end + ONE_DAY


def _roll_monthly_terms(subscriptions: Sequence[Subscription], *, today: date, cancellations) -> dict[int, dict]:
    """Move each running monthly term to the billing period that contains today (one term per ended period),
    stopping before a term that a pending cancellation dated on or before its first day ends. No query."""
    changes = {}
    for subscription in subscriptions:
        term_start, term_end = subscription.term_start, subscription.term_end
        cancellation_date = cancellations.get(subscription.pk)
        while term_end < today:
            starts_on = term_end + ONE_DAY
            if cancellation_date is not None and cancellation_date <= starts_on:
                break
            period = period_containing(subscription.paid_start, starts_on)
            term_start, term_end = period.start, period.end
        if (term_start, term_end) != (subscription.term_start, subscription.term_end):
            subscription.term_start, subscription.term_end = term_start, term_end
            changes[subscription.pk] = {"term_start": term_start, "term_end": term_end}
    return changes


def _start_new_terms(
    by_option: Mapping[str, Sequence[Subscription]], *, by: Actor, now: datetime, writes: dict[int, dict]
) -> None:
    """A new term from the day after each term end (SPEC 5.3), at the plan's catalog price of now, for the
    subscriptions of each option ``{option: subscriptions}``, all of them in the same few statements.

    ``renew_annual``: 12 billing periods; the licences are the renewal count if one was set, else the current
    ones, never below the members registered (an annual workspace cannot hold more, SPEC 3).
    ``switch_to_monthly``: an annual contract continues monthly, a term of one billing period.
    A new segment, the contract fields (one UPDATE, and on the objects) and one ``renewed`` event each.
    """
    everyone = [s for subscriptions in by_option.values() for s in subscriptions]
    if not everyone:
        return
    members = members_of(by_option.get(RenewalOption.RENEW_ANNUAL, ()))
    load_plans(everyone)
    starts, changes, details = {}, {}, {}
    for option, subscriptions in by_option.items():
        annual = option == RenewalOption.RENEW_ANNUAL
        contract_type = ContractType.ANNUAL if annual else ContractType.MONTHLY
        for s in subscriptions:
            starts_on = s.term_end + ONE_DAY
            if annual:
                term_start, term_end = term_from(s.paid_start, starts_on)
                licences = renewed_licences(s, members=members[s.pk])
            else:
                period = period_containing(s.paid_start, starts_on)
                term_start, term_end, licences = period.start, period.end, None
            rate = Rate.catalog(s.plan, contract_type, licences)
            starts[s.pk] = (starts_on, rate)
            terms = {
                "contract_type": contract_type,
                "licences": licences,
                "term_start": term_start,
                "term_end": term_end,
            }
            changes[s.pk] = {**terms, "renewal_licences": None}
            details[s.pk] = {"option": option, "from_contract_type": s.contract_type, "unit_price": rate.unit_price}
            details[s.pk] |= {
                name: value.isoformat() if name.startswith("term") else value for name, value in terms.items()
            }
            if not annual:
                del details[s.pk]["licences"]
    start_segments(starts)
    _merge(writes, changes)
    for s in everyone:
        for name, value in changes[s.pk].items():
            setattr(s, name, value)
    record_events(everyone, "renewed", by=by, at=now, details=details)


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def renew_at_term_end_many(
    *,
    subscriptions: Sequence[Subscription],
    now: datetime,
    by: Actor,
    cancellations: Mapping[int, date] | None = None,
    writes: dict[int, dict] | None = None,
    endings: list[Ending] | None = None,
) -> None:
    """Apply the renewal option of every term that has ended (KST) of the locked subscriptions (SPEC 5.3, 6).

    While a term end is before today: ``renew_annual`` starts a new 12-month annual term; ``switch_to_monthly``
    (also the default) continues monthly from the day after (a new monthly segment if the contract was annual);
    ``do_not_renew`` ends the service the day after the term end, with no penalty: final invoice,
    ``terminated``, purge. A cancellation reserved for the day after the term end (or earlier) wins: the
    cancellation job ends the service instead. ``cancellations`` is the pending cancellation dates when the
    caller read them already. Nothing changes when nothing is due; the objects are updated in place.

    The new terms' subscription fields are written in one UPDATE at the end, or, given ``writes``, added to it
    (``{id: {field: value}}``) for the caller to write with its own changes of the same rows. Given ``endings``,
    the services that "Do not renew" ends are added to it for the caller to end (``end_services``) once it has
    issued their final invoices with its other invoices; they take no further round.
    """
    today = kst_date(now)
    behind = [s for s in subscriptions if s.status == Status.ACTIVE and s.term_end < today]
    if not behind:
        return
    changes = {} if writes is None else writes
    _renew_rounds(behind, today=today, now=now, by=by, cancellations=cancellations, writes=changes, endings=endings)
    if writes is None:
        update_rows(Subscription, changes, bump=("version",))


def _merge(writes: dict[int, dict], changes: Mapping[int, Mapping]) -> None:
    """Later changes of a row win, as if each had been written in turn."""
    for pk, values in changes.items():
        writes.setdefault(pk, {}).update(values)


def _renew_rounds(
    behind: list[Subscription],
    *,
    today: date,
    now: datetime,
    by: Actor,
    cancellations: Mapping[int, date] | None,
    writes: dict[int, dict],
    endings: list[Ending] | None,
) -> None:
    """The rounds of ``renew_at_term_end_many``, each one term on, until no term is behind today."""
    if cancellations is None:
        cancellations = pending_cancellation_dates([subscription.pk for subscription in behind])
    ending: set[int] = set()  # left to the caller's end_services
    while True:
        due = [
            s
            for s in behind
            if s.status == Status.ACTIVE
            and s.term_end < today
            and s.pk not in ending
            and not _blocked(s, cancellations)
        ]
        if not due:
            return
        by_option: dict[str, list[Subscription]] = {}
        for subscription in due:
            option = subscription.effective_renewal_option
            if option == RenewalOption.SWITCH_TO_MONTHLY and subscription.contract_type == ContractType.MONTHLY:
                option = "roll"
            by_option.setdefault(option, []).append(subscription)
        _merge(writes, _roll_monthly_terms(by_option.get("roll", []), today=today, cancellations=cancellations))
        if RenewalOption.DO_NOT_RENEW in by_option:
            ended = [
                Ending(s, s.term_end + ONE_DAY, None, {"term_end": s.term_end.isoformat()})
                for s in by_option[RenewalOption.DO_NOT_RENEW]
            ]
            if endings is None:
                end_services(ended, kind="not_renewed", by=by, now=now)
            else:
                endings.extend(ended)
                ending.update(e.subscription.pk for e in ended)
        options = (RenewalOption.RENEW_ANNUAL, RenewalOption.SWITCH_TO_MONTHLY)
        _start_new_terms(
            {option: by_option[option] for option in options if option in by_option}, by=by, now=now, writes=writes
        )


@transaction.atomic
def subscription_renew_at_term_end(*, subscription: Subscription, now: datetime, by: Actor) -> Subscription:
    """``renew_at_term_end_many`` on one subscription, under its lock; returns the locked, current row
    (``terminated`` after ``do_not_renew``)."""
    return lock_one(subscription, renew_at_term_end_many, now=now, by=by)


# A chunk's own transaction is the unit: atomic when called alone, no extra savepoint inside the job's chunk.
@transaction.atomic(savepoint=False)
def subscription_renew_many(*, subscriptions: Sequence[Subscription], now: datetime, by: Actor) -> int:
    """The renewal job's chunk (SPEC 6): the renewal options of ended terms first, then every ended period's
    invoice, in a bounded number of queries whatever the size of the chunk.

    Order matters: the segments of a renewal are dated from the term's end, so the invoices issued after them
    price every day right. A period with a cancellation due on or before its end is left to the final invoice.
    Returns how many subscriptions changed: ended, renewed or rolled, or at least one period closed.
    """
    before = {s.pk: (s.term_end, s.next_period_index) for s in subscriptions}
    cancellations = pending_cancellation_dates([s.pk for s in subscriptions])
    writes: dict[int, dict] = {}  # the subscriptions' new terms and invoicing fields: one UPDATE at the end
    endings: list[Ending] = []  # "Do not renew": ended below, their final invoices issued with the others
    renew_at_term_end_many(
        subscriptions=subscriptions, now=now, by=by, cancellations=cancellations, writes=writes, endings=endings
    )
    finals = {ending.subscription.pk: (ending.on, ending.penalty) for ending in endings}
    # The ending services first: their final invoices spend credit first, as when they were ended before.
    billed = [ending.subscription for ending in endings] + [
        s for s in subscriptions if s.status == Status.ACTIVE and s.pk not in finals
    ]
    others = {pk: day for pk, day in cancellations.items() if pk not in finals}
    result, moved = issue_invoices(billed, now=now, finals=finals, cancellations=others)
    end_services(endings, kind="not_renewed", by=by, now=now, invoiced=(result, moved))
    _merge(writes, {pk: values for pk, values in moved.items() if pk not in finals})
    update_rows(Subscription, writes, bump=("version",))  # the cards' cache keys move on too
    return sum(s.status != Status.ACTIVE or (s.term_end, s.next_period_index) != before[s.pk] for s in subscriptions)
