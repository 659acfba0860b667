"""Trial expiry (SPEC 6 `expire_trials`): trial -> suspended after the last trial day; suspended -> terminated
and purged after the grace period. Set-based over a claimed chunk: a bounded number of queries per chunk."""

from datetime import datetime

from works_console.dates import ONE_DAY
from works_console.db import update_rows

from ..models import Status, Subscription
from .core import Actor, change_status_many
from .purge import workspace_purge_many


def suspend_expired_trials(subscriptions: list[Subscription], now: datetime, *, by: Actor) -> int:
    """Suspend the claimed trials (locked by the caller, due condition already re-checked under the lock)."""
    days = {
        s.pk: {"trial_last_day": s.trial_last_day.isoformat(), "grace_last_day": s.grace_last_day.isoformat()}
        for s in subscriptions
    }
    return len(change_status_many(subscriptions, Status.SUSPENDED, kind="trial_expired", by=by, at=now, details=days))


def terminate_expired_grace(subscriptions: list[Subscription], now: datetime, *, by: Actor) -> int:
    """End the claimed suspended trials whose grace is over and purge their workspace data (SPEC 6)."""
    days = {s.pk: {"grace_last_day": s.grace_last_day.isoformat()} for s in subscriptions}
    # The rule's date, not the run's: a run catching up later still records the day the service ended.
    ends = {s.pk: {"terminated_on": s.grace_last_day + ONE_DAY} for s in subscriptions}
    writes: dict[int, dict] = {}  # the new state and the purge's scrubbing of each row, in one UPDATE
    ended = change_status_many(
        subscriptions, Status.TERMINATED, kind="grace_expired", by=by, at=now, details=days, fields=ends, writes=writes
    )
    workspace_purge_many(subscriptions=ended, now=now, by=by, writes=writes)
    update_rows(Subscription, writes, bump=("version",))
    return len(ended)
