"""Trial extension by an operator (SPEC 11): the last trial day and the grace move together, by 1-30 days."""

import logging
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _

from works_console.dates import kst_date

from ..models import Action, Reservation, Subscription, next_version
from ..rules import operator_only_actions
from .core import Actor, record_events

logger = logging.getLogger(__name__)

MIN_TRIAL_EXTENSION_DAYS = 1
MAX_TRIAL_EXTENSION_DAYS = 30


def check_extension_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValidationError({"days": _("Enter a whole number of days.")}, code="invalid")
    if not MIN_TRIAL_EXTENSION_DAYS <= days <= MAX_TRIAL_EXTENSION_DAYS:
        raise ValidationError(
            {
                "days": _("Extend a trial by %(first)d to %(last)d days.")
                % {"first": MIN_TRIAL_EXTENSION_DAYS, "last": MAX_TRIAL_EXTENSION_DAYS}
            },
            code="out_of_range",
        )
    return days


def check_reason(reason: str | None) -> str:
    """Every operator action says why (SPEC 11); the reason is written on its lifecycle event."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Write down why you take this action.")}, code="required")
    return reason[:200]


@transaction.atomic
def subscription_extend_trial_many(
    *, subscriptions: list[Subscription], days: int, reason: str, by: Actor, now: datetime
) -> list[Subscription]:
    """Give each trial ``days`` more days (SPEC 11): the last trial day and the last grace day move by as much.

    Takes the rows' locks (in id order), re-checks them, and refuses the whole batch, changing nothing, if any
    is not in ``trial`` by the calendar (a trial past its last day is suspended even before its job has run: convert
    it instead). One UPDATE and one INSERT of
    ``trial_extended`` events whatever the number of subscriptions. The reminders are keyed by the last trial
    day, so the new date is reminded anew.
    """
    days = check_extension_days(days)
    reason = check_reason(reason)
    ids = sorted({subscription.pk for subscription in subscriptions})
    pending = Reservation.objects.filter(state=Reservation.State.PENDING)
    locked = list(
        Subscription.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .prefetch_related(Prefetch("reservations", queryset=pending, to_attr="pending_reservation_list"))
        .order_by("pk")
    )
    today = kst_date(now)
    refused = [s.name for s in locked if Action.EXTEND_TRIAL not in operator_only_actions(s, today=today)]
    if refused:
        raise ValidationError(
            _("Only a trial can be extended; not in trial: %(names)s.") % {"names": ", ".join(refused)},
            code="not_trial",
        )
    delta = timedelta(days=days)
    Subscription.objects.filter(pk__in=ids).update(
        trial_last_day=F("trial_last_day") + delta, grace_last_day=F("grace_last_day") + delta, version=next_version()
    )

    def moved(day: date) -> dict:
        return {"from": day.isoformat(), "to": (day + delta).isoformat()}

    details = {
        s.pk: {
            "days": days,
            "trial_last_day": moved(s.trial_last_day),
            "grace_last_day": moved(s.grace_last_day),
            "reason": reason,
        }
        for s in locked
    }
    record_events(locked, "trial_extended", by=by, at=now, details=details)
    for subscription in locked:
        subscription.trial_last_day += delta
        subscription.grace_last_day += delta
    logger.info("extended %d trials by %d days", len(locked), days)
    return locked


def subscription_extend_trial(
    *, subscription: Subscription, days: int, reason: str, by: Actor, now: datetime
) -> Subscription:
    """One trial's extension: the batch function on a list of one."""
    return subscription_extend_trial_many(subscriptions=[subscription], days=days, reason=reason, by=by, now=now)[0]
