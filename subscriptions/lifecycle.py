"""The lifecycle jobs of SPEC 6 and their steps, in the order `run_lifecycle` runs them.

Celery tasks (subscriptions/tasks.py, billing/tasks.py) and the management command both read JOBS, so a job
does the same thing whoever starts it. Each step's `process` is a service over a claimed, locked chunk.
"""

from datetime import date, datetime

from subscriptions.models import Reservation, Subscription
from subscriptions.services.core import job_actor
from subscriptions.services.expiry import suspend_expired_trials, terminate_expired_grace
from subscriptions.services.jobs import Step
from subscriptions.services.reminders import reminder_steps

ACTIVATE_CONVERSIONS = "subscriptions.tasks.activate_scheduled_conversions"
RENEW = "billing.tasks.renew_subscriptions"
EXECUTE_CANCELLATIONS = "subscriptions.tasks.execute_scheduled_cancellations"
EXPIRE_TRIALS = "subscriptions.tasks.expire_trials"
SEND_REMINDERS = "subscriptions.tasks.send_reminders"


def _pending(subscription: Subscription, kind: str) -> Reservation | None:
    return subscription.reservations.filter(kind=kind, state=Reservation.State.PENDING).first()


def _activate_conversions(subscriptions: list[Subscription], now: datetime) -> int:
    from subscriptions.services.paid import subscription_activate_reserved_conversion

    by = job_actor(ACTIVATE_CONVERSIONS)
    changed = 0
    for subscription in subscriptions:
        result = subscription_activate_reserved_conversion(subscription=subscription, now=now, by=by)
        changed += result.status == "active"
    return changed


def _renew(subscriptions: list[Subscription], now: datetime) -> int:
    from billing.services import invoice_issue_due
    from subscriptions.services.paid import subscription_renew_at_term_end

    by = job_actor(RENEW)
    changed = 0
    for subscription in subscriptions:
        # First the renewal option of an ended term (its new segments are dated from the term's end, so the
        # invoices below price every day right), then every ended period's invoice. A period with a cancellation
        # due on or before its end is left to the cancellation's final invoice (invoice_issue_due stops there).
        term_end = subscription.term_end
        subscription = subscription_renew_at_term_end(subscription=subscription, now=now, by=by)
        issued = invoice_issue_due(subscription=subscription, now=now) if subscription.status == "active" else []
        changed += bool(issued) or subscription.term_end != term_end or subscription.status != "active"
    return changed


def _execute_cancellations(subscriptions: list[Subscription], now: datetime) -> int:
    from subscriptions.services.cancel import subscription_execute_reserved_cancellation

    by = job_actor(EXECUTE_CANCELLATIONS)
    changed = 0
    for subscription in subscriptions:
        result = subscription_execute_reserved_cancellation(subscription=subscription, now=now, by=by)
        changed += result.status == "terminated"
    return changed


def _describe_conversion(subscription: Subscription, today: date) -> str:
    reservation = _pending(subscription, Reservation.Kind.CONVERSION)
    return (
        f"{subscription.name}: start paid {reservation.contract_type} {reservation.plan} on {reservation.effective_on}"
    )


def _describe_cancellation(subscription: Subscription, today: date) -> str:
    reservation = _pending(subscription, Reservation.Kind.CANCELLATION)
    return f"{subscription.name}: cancel as of {reservation.effective_on}, final invoice, purge"


JOBS: dict[str, list[Step]] = {
    ACTIVATE_CONVERSIONS: [
        Step(
            name="activate_conversion",
            due=lambda today: Subscription.objects.due_for_conversion(today),
            process=_activate_conversions,
            describe=_describe_conversion,
        )
    ],
    RENEW: [
        Step(
            name="close_period",
            due=lambda today: Subscription.objects.due_for_invoicing(today),
            process=_renew,
            describe=lambda s, today: f"{s.name}: invoice period {s.next_period_index} (due {s.next_invoice_on})",
        )
    ],
    EXECUTE_CANCELLATIONS: [
        Step(
            name="execute_cancellation",
            due=lambda today: Subscription.objects.due_for_cancellation(today),
            process=_execute_cancellations,
            describe=_describe_cancellation,
        )
    ],
    EXPIRE_TRIALS: [
        Step(
            name="suspend_trial",
            due=lambda today: Subscription.objects.due_for_trial_expiry(today),
            process=suspend_expired_trials,
            describe=lambda s, today: f"{s.name}: trial ended {s.trial_last_day}, suspended until {s.grace_last_day}",
        ),
        Step(
            name="terminate_after_grace",
            due=lambda today: Subscription.objects.due_for_grace_expiry(today),
            process=terminate_expired_grace,
            describe=lambda s, today: f"{s.name}: grace ended {s.grace_last_day}, terminate and purge",
        ),
    ],
    SEND_REMINDERS: reminder_steps(),
}
