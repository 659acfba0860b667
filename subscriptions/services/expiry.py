"""Trial expiry (SPEC 6 `expire_trials`): trial -> suspended after the last trial day; suspended -> terminated
and purged after the grace period. Set-based over a claimed chunk: a bounded number of queries per chunk."""

from datetime import datetime, timedelta

from django.db.models import DateField, ExpressionWrapper, F

from subscriptions.models import LifecycleEvent, Status, Subscription

from .core import job_actor

JOB = "subscriptions.tasks.expire_trials"


def suspend_expired_trials(subscriptions: list[Subscription], now: datetime) -> int:
    """Suspend the claimed trials (locked by the caller, due condition already re-checked under the lock)."""
    ids = [subscription.pk for subscription in subscriptions]
    changed = Subscription.objects.filter(pk__in=ids, status=Status.TRIAL).update(status=Status.SUSPENDED)
    actor, _user = job_actor(JOB)
    LifecycleEvent.objects.bulk_create(
        LifecycleEvent(
            subscription_id=subscription.pk,
            kind="trial_expired",
            from_status=Status.TRIAL,
            to_status=Status.SUSPENDED,
            actor=actor,
            at=now,
            details={
                "trial_last_day": subscription.trial_last_day.isoformat(),
                "grace_last_day": subscription.grace_last_day.isoformat(),
            },
        )
        for subscription in subscriptions
    )
    return changed


def terminate_expired_grace(subscriptions: list[Subscription], now: datetime) -> int:
    """End the claimed suspended trials whose grace is over and purge their workspace data (SPEC 6)."""
    from workspaces.services import workspace_purge_many

    ids = [subscription.pk for subscription in subscriptions]
    # The rule's date, not the run's: a run catching up later still records the day the service ended.
    changed = Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).update(
        status=Status.TERMINATED,
        terminated_on=ExpressionWrapper(F("grace_last_day") + timedelta(days=1), output_field=DateField()),
    )
    actor, _user = job_actor(JOB)
    LifecycleEvent.objects.bulk_create(
        LifecycleEvent(
            subscription_id=subscription.pk,
            kind="grace_expired",
            from_status=Status.SUSPENDED,
            to_status=Status.TERMINATED,
            actor=actor,
            at=now,
            details={"grace_last_day": subscription.grace_last_day.isoformat()},
        )
        for subscription in subscriptions
    )
    for subscription in subscriptions:
        subscription.status = Status.TERMINATED
    workspace_purge_many(subscriptions=subscriptions, now=now, by=(actor, None))
    return changed
