"""The lifecycle jobs of SPEC 6 and their steps, in the order `run_lifecycle` runs them.

Celery tasks (subscriptions/tasks.py, billing/tasks.py) and the management command both read JOBS, so a job
does the same thing whoever starts it. Each step's `process` is a service over a claimed, locked chunk.
"""

from datetime import date, datetime

from subscriptions.models import Reservation, Subscription
from subscriptions.services.cancel import subscription_execute_reserved_cancellation_many
from subscriptions.services.core import job_actor, pending_reservation
from subscriptions.services.expiry import suspend_expired_trials, terminate_expired_grace
from subscriptions.services.jobs import Step
from subscriptions.services.paid import subscription_activate_reserved_conversion_many
from subscriptions.services.reminders import reminder_steps
from subscriptions.services.renewal import subscription_renew_many

ACTIVATE_CONVERSIONS = "subscriptions.tasks.activate_scheduled_conversions"
RENEW = "billing.tasks.renew_subscriptions"
EXECUTE_CANCELLATIONS = "subscriptions.tasks.execute_scheduled_cancellations"
EXPIRE_TRIALS = "subscriptions.tasks.expire_trials"
SEND_REMINDERS = "subscriptions.tasks.send_reminders"


def _activate_conversions(subscriptions: list[Subscription], now: datetime) -> int:
    """The conversion job's chunk (SPEC 5.2, 6), set-based: a bounded number of queries per chunk."""
    return subscription_activate_reserved_conversion_many(
        subscriptions=subscriptions, now=now, by=job_actor(ACTIVATE_CONVERSIONS)
    )


def _renew(subscriptions: list[Subscription], now: datetime) -> int:
    """The renewal job's chunk (SPEC 6): renewal options of ended terms, then every ended period's invoice."""
    return subscription_renew_many(subscriptions=subscriptions, now=now, by=job_actor(RENEW))


def _execute_cancellations(subscriptions: list[Subscription], now: datetime) -> int:
    """The cancellation job's chunk (SPEC 5.5, 6), set-based: final invoices, ``terminated``, one purge."""
    return subscription_execute_reserved_cancellation_many(
        subscriptions=subscriptions, now=now, by=job_actor(EXECUTE_CANCELLATIONS)
    )


def _suspend_trials(subscriptions: list[Subscription], now: datetime) -> int:
    return suspend_expired_trials(subscriptions, now, by=job_actor(EXPIRE_TRIALS))


def _end_grace(subscriptions: list[Subscription], now: datetime) -> int:
    return terminate_expired_grace(subscriptions, now, by=job_actor(EXPIRE_TRIALS))


def _describe_invoicing(s: Subscription, today: date) -> str:
    return f"{s.name}: invoice period {s.next_period_index} (due {s.next_invoice_on})"


def _describe_suspension(s: Subscription, today: date) -> str:
    return f"{s.name}: trial ended {s.trial_last_day}, suspended until {s.grace_last_day}"


def _describe_grace_expiry(s: Subscription, today: date) -> str:
    return f"{s.name}: grace ended {s.grace_last_day}, terminate and purge"


def _describe_conversion(subscription: Subscription, today: date) -> str:
    reservation = pending_reservation(subscription, Reservation.Kind.CONVERSION)
    return (
        f"{subscription.name}: start paid {reservation.contract_type} {reservation.plan} on {reservation.effective_on}"
    )


def _describe_cancellation(subscription: Subscription, today: date) -> str:
    reservation = pending_reservation(subscription, Reservation.Kind.CANCELLATION)
    return f"{subscription.name}: cancel as of {reservation.effective_on}, final invoice, purge"


JOBS: dict[str, list[Step]] = {
    ACTIVATE_CONVERSIONS: [
        Step(
            "activate_conversion", Subscription.objects.due_for_conversion, _activate_conversions, _describe_conversion
        )
    ],
    RENEW: [Step("close_period", Subscription.objects.due_for_invoicing, _renew, _describe_invoicing)],
    EXECUTE_CANCELLATIONS: [
        Step(
            "execute_cancellation",
            Subscription.objects.due_for_cancellation,
            _execute_cancellations,
            _describe_cancellation,
        )
    ],
    EXPIRE_TRIALS: [
        Step("suspend_trial", Subscription.objects.due_for_trial_expiry, _suspend_trials, _describe_suspension),
        Step("terminate_after_grace", Subscription.objects.due_for_grace_expiry, _end_grace, _describe_grace_expiry),
    ],
    SEND_REMINDERS: reminder_steps(),
}
