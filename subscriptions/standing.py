"""What the calendar says of a subscription on a KST day (issue 22): its state, its contract, its contract end.

The lifecycle jobs (SPEC 6) move subscriptions along every 15 minutes or so, and may be paused or fail for
hours; a catch-up run then does several days at once. Between a date's coming and the run that acts on it,
every page and rule still answers from the calendar, never from how far a job has come: a trial past its last
day is suspended, a term past its end has renewed (or the service has stopped), a reserved date that has come
has taken effect. The fields the jobs advance (``term_start``/``term_end``, ``next_period_index``,
``next_invoice_on``, ``status`` itself) are their bookkeeping; ``term_end`` is read here only as the end of the
term the renewal option was chosen for (every change of the option first brings the row up to date, see
``services.core.lock_current``), which is where the renewal job applies it.

``standing_on`` is the one reader; the paid contract comes from ``billing.periods.contract_on``.
"""

import copy
from dataclasses import dataclass
from datetime import date

from billing.models import ContractType, RateSegment
from billing.periods import BillingPeriod, ContractDay, PlannedSpan, Renewal, contract_on, term_from
from works_console.dates import ONE_DAY

from .models import RenewalOption, Reservation, Status, Subscription

# What each renewal option makes of the contract after its term (SPEC 5.3): None stops the service.
RENEWS_AS: dict[str, str | None] = {
    RenewalOption.RENEW_ANNUAL: ContractType.ANNUAL,
    RenewalOption.SWITCH_TO_MONTHLY: ContractType.MONTHLY,
    RenewalOption.DO_NOT_RENEW: None,
}


@dataclass(frozen=True, slots=True)
class Standing:
    """A subscription on ``day`` as the calendar has it, whether or not the jobs have caught up.

    ``status`` is the state the calendar gives (``terminated`` once the service has stopped, on ``stopped_on``,
    even while its job has not purged it yet); ``contract`` the paid contract of the day (None in trial), its
    period, term and contract end.
    """

    subscription: Subscription
    day: date
    status: str
    contract: ContractDay | None = None
    stopped_on: date | None = None
    # The licences of the contract of the day (annual); a renewal the jobs have not applied yet brings its own.
    licences: int | None = None
    # A reserved conversion whose date has come: the contract of the day, before its job has started it.
    conversion: Reservation | None = None

    @property
    def is_stopped(self) -> bool:
        """The service has stopped by the calendar (maybe not yet by its job: the data is still there)."""
        return self.status == Status.TERMINATED

    @property
    def contract_type(self) -> str:
        return self.contract.contract_type if self.contract is not None else ""

    @property
    def current_period(self) -> BillingPeriod | None:
        """The billing period containing the day, for a running paid contract: what an upgrade or a licence
        increase made today prorates over (SPEC 5.4, 3)."""
        if self.contract is None or not self.contract.is_running:
            return None
        return self.contract.period

    @property
    def contract_end(self) -> date | None:
        """The last day of the current contract (SPEC 5.5): the last trial day in trial, the last grace day when
        suspended, the end of the term of the day when paid (a monthly contract's term is its period)."""
        if self.status == Status.TRIAL:
            return self.subscription.trial_last_day
        if self.status == Status.SUSPENDED:
            return self.subscription.grace_last_day
        if self.status == Status.ACTIVE:
            return self.contract.term_end
        return None

    @property
    def latest_cancellation_date(self) -> date:
        """SPEC 5.5: a cancellation date runs from today up to the day after the contract end; never before today,
        so the window is never empty."""
        end = self.contract_end
        return max(end + ONE_DAY, self.day) if end is not None else self.day

    @property
    def renewal_effective_on(self) -> date | None:
        """The day the renewal option takes effect: the day after the current term (SPEC 5.3)."""
        return self.contract.term_end + ONE_DAY if self.status == Status.ACTIVE else None

    @property
    def renewal_licences(self) -> int | None:
        """The licences chosen for the next term, if any: a renewal the jobs have not applied yet used them up."""
        if self.contract is not None and self.contract.renewed_from is not None:
            return None
        return self.subscription.renewal_licences

    def calendar_row(self) -> Subscription:
        """An unsaved copy of the subscription whose state and contract are the calendar's, for pages and forms to
        show and check as the services will find them (the services lock and re-read the row, and bring it up to
        date first: ``services.core.lock_current``). Never saved."""
        row = copy.copy(self.subscription)
        row.status = self.status
        if self.stopped_on is not None:
            row.terminated_on = self.stopped_on
        if self.contract is not None:
            row.contract_type = self.contract.contract_type
            row.licences = self.licences
            row.term_start, row.term_end = self.contract.term_start, self.contract.term_end
            row.renewal_licences = self.renewal_licences
        if self.conversion is not None:
            row.plan, row.paid_start = self.conversion.plan, self.conversion.effective_on
        return row

    @property
    def days_left(self) -> int | None:
        """Days left including today: of the trial in trial, of the grace when suspended (None otherwise)."""
        if self.status == Status.TRIAL:
            return max((self.subscription.trial_last_day - self.day).days + 1, 0)
        if self.status == Status.SUSPENDED:
            return max((self.subscription.grace_last_day - self.day).days + 1, 0)
        return None


def renewed_licences(subscription: Subscription, *, members: int) -> int:
    """The licences of a term renewed as annual (SPEC 5.3, 3): the renewal count when one was set, else the current
    ones, never below the members registered (an annual workspace cannot hold more than its licences)."""
    return max(subscription.renewal_licences or subscription.licences or members, members, 1)


def rate_segments_of(subscription: Subscription) -> list[RateSegment]:
    """The subscription's rate segments in date order; the prefetched ``rate_segment_list`` when present."""
    rows = getattr(subscription, "rate_segment_list", None)
    if rows is None:
        rows = RateSegment.objects.filter(subscription_id=subscription.pk).select_related("plan")
    return sorted(rows, key=lambda row: (row.starts_on, row.pk or 0))


def _pending(subscription: Subscription, pending: dict[str, Reservation] | None) -> dict[str, Reservation]:
    if pending is not None:
        return pending
    from .rules import pending_reservations  # the rules read standings: import at call time

    return pending_reservations(subscription)


def standing_on(
    subscription: Subscription,
    *,
    today: date,
    pending: dict[str, Reservation] | None = None,
    segments: list[RateSegment] | None = None,
) -> Standing:
    """What the calendar says of ``subscription`` on the KST date ``today`` (see the module docstring).

    Reads the pending reservations and the rate segments unless given (or prefetched as
    ``pending_reservation_list`` / ``rate_segment_list``): at most two queries, none on a prefetched page.
    """
    if subscription.status == Status.TERMINATED:
        return Standing(subscription, today, Status.TERMINATED, stopped_on=subscription.terminated_on)
    pending = _pending(subscription, pending)
    cancellation = pending.get(Reservation.Kind.CANCELLATION)
    stops_on = cancellation.effective_on if cancellation is not None else None
    if subscription.status == Status.ACTIVE:
        return _paid_standing(subscription, today, stops_on, segments)
    conversion = pending.get(Reservation.Kind.CONVERSION)
    if conversion is not None and conversion.effective_on <= today:
        return _converted_standing(subscription, today, conversion)
    if stops_on is not None and stops_on <= today:
        return Standing(subscription, today, Status.TERMINATED, stopped_on=stops_on)
    if today <= subscription.trial_last_day and subscription.status == Status.TRIAL:
        return Standing(subscription, today, Status.TRIAL)
    if today <= subscription.grace_last_day:
        return Standing(subscription, today, Status.SUSPENDED)
    # SPEC 6: past the grace the service ends (a pending conversion would have been due by then).
    return Standing(subscription, today, Status.TERMINATED, stopped_on=subscription.grace_last_day + ONE_DAY)


def _paid_standing(
    subscription: Subscription, today: date, stops_on: date | None, segments: list[RateSegment] | None
) -> Standing:
    spans = rate_segments_of(subscription) if segments is None else segments
    if not spans:
        # A paid row without rate segments (data made by hand): its stored contract type from the anchor.
        spans = [PlannedSpan(subscription.paid_start, subscription.contract_type)]
    contract = contract_on(
        anchor=subscription.paid_start,
        segments=spans,
        day=max(today, subscription.paid_start),
        renewal=Renewal(subscription.term_end, RENEWS_AS[subscription.effective_renewal_option]),
        stops_on=stops_on,
    )
    licences = subscription.licences
    if contract.renewed_from is not None:
        # SPEC 5.3: the next term's licences are the renewal count when one was set, else the current ones.
        renewed_annual = contract.contract_type == ContractType.ANNUAL
        licences = (subscription.renewal_licences or subscription.licences) if renewed_annual else None
    if not contract.is_running:
        return Standing(subscription, today, Status.TERMINATED, contract, contract.stopped_on, licences)
    return Standing(subscription, today, Status.ACTIVE, contract, licences=licences)


def _converted_standing(subscription: Subscription, today: date, conversion: Reservation) -> Standing:
    """A reserved conversion whose date has come is a paid contract from that date (SPEC 5.2), before the
    conversion job has started it: its first term, then the default renewal (SPEC 5.3: switch to monthly)."""
    anchor = conversion.effective_on
    first_term_end = term_from(anchor, anchor, 12 if conversion.contract_type == ContractType.ANNUAL else 1)[1]
    contract = contract_on(
        anchor=anchor,
        segments=[PlannedSpan(anchor, conversion.contract_type)],
        day=today,
        renewal=Renewal(first_term_end, ContractType.MONTHLY),
    )
    licences = conversion.licences if contract.contract_type == ContractType.ANNUAL else None
    return Standing(subscription, today, Status.ACTIVE, contract, licences=licences, conversion=conversion)
