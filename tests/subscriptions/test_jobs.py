"""The lifecycle job machinery (SPEC 6) on PostgreSQL: due on KST dates, exactly once, crash-safe."""

import dataclasses
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connections
from django.utils import timezone

from subscriptions.lifecycle import EXPIRE_TRIALS, JOBS
from subscriptions.models import JobRun, LifecycleEvent, Reservation, Status, Subscription
from subscriptions.services.core import job_actor
from subscriptions.services.jobs import run_steps
from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from works_console.dates import KST
from workspaces.models import Member, Workspace

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=KST)


def expire(now: datetime, **kwargs) -> JobRun:
    return run_steps(EXPIRE_TRIALS, JOBS[EXPIRE_TRIALS], now=now, **kwargs)


def bulk_trials(count: int, *, applied_on: date) -> list[int]:
    """Many due trials quickly: one customer, no workspaces (the expiry does not need them)."""
    customer = UserFactory()
    basic = plan("basic")
    rows = Subscription.objects.bulk_create(
        Subscription(
            customer=customer,
            account_type="group",
            name=f"bulk-{n}",
            plan=basic,
            applied_on=applied_on,
            trial_last_day=applied_on + timedelta(days=29),
            grace_last_day=applied_on + timedelta(days=59),
        )
        for n in range(count)
    )
    return [row.pk for row in rows]


# --- trial expiry on KST dates ---


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(kst(2026, 12, 30, 23, 59), Status.TRIAL, id="last-trial-day-23-59-kst"),
        pytest.param(kst(2026, 12, 31, 0, 0), Status.SUSPENDED, id="day-after-00-00-kst"),
        pytest.param(datetime(2026, 12, 30, 15, 0, tzinfo=UTC), Status.SUSPENDED, id="utc-afternoon-is-next-kst-day"),
    ],
)
def test_trial_is_suspended_from_the_kst_day_after_its_last_day(now, expected):
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))  # last trial day 2026-12-30

    expire(now)

    subscription.refresh_from_db()
    assert subscription.status == expected


def test_expiry_twice_leaves_the_same_state_as_once():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))

    first = expire(kst(2026, 12, 31, 0, 10))
    second = expire(kst(2026, 12, 31, 0, 40))

    subscription.refresh_from_db()
    assert subscription.status == Status.SUSPENDED
    assert (first.processed, second.processed) == (1, 0)
    events = LifecycleEvent.objects.filter(subscription=subscription, kind="trial_expired")
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        ("trial", "suspended", "job:subscriptions.tasks.expire_trials")
    ]


def test_a_conversion_due_today_is_not_expired_whatever_job_runs_first():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    Reservation.objects.create(
        subscription=subscription,
        kind=Reservation.Kind.CONVERSION,
        effective_on=date(2026, 12, 31),
        plan=plan("basic"),
        contract_type="monthly",
    )

    run = expire(kst(2026, 12, 31, 0, 10))

    subscription.refresh_from_db()
    assert subscription.status == Status.TRIAL
    assert run.processed == 0


def test_grace_expiry_terminates_and_purges_the_workspace():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1), status=Status.SUSPENDED)
    workspace_id, name = subscription.workspace_id, subscription.name

    expire(kst(2027, 1, 30, 0, 5))  # grace last day is 2027-01-29

    subscription.refresh_from_db()
    assert subscription.status == Status.TERMINATED
    assert subscription.terminated_on == date(2027, 1, 30)
    assert subscription.workspace_id is None
    assert subscription.admin_account_id == ""
    assert not Workspace.objects.filter(pk=workspace_id).exists()
    assert not Member.objects.filter(workspace_id=workspace_id).exists()
    assert list(subscription.events.values_list("kind", flat=True)) == ["purged", "grace_expired"]
    assert Workspace.objects.filter(name=name).count() == 0  # the name is free again


def test_a_suspended_trial_with_a_pending_conversion_is_never_purged():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1), status=Status.SUSPENDED)
    Reservation.objects.create(
        subscription=subscription,
        kind=Reservation.Kind.CONVERSION,
        effective_on=date(2027, 1, 29),
        plan=plan("lite"),
        contract_type="monthly",
    )

    expire(kst(2027, 1, 30, 0, 5))

    subscription.refresh_from_db()
    assert subscription.status == Status.SUSPENDED
    assert subscription.workspace_id is not None


def test_a_job_run_records_its_counts():
    TrialSubscriptionFactory.create_batch(3, applied_on=date(2026, 12, 1))

    run = expire(kst(2026, 12, 31, 9, 0))

    run.refresh_from_db()
    assert (run.job, run.processed, run.skipped, run.errors) == (EXPIRE_TRIALS, 3, 0, 0)
    assert run.finished_at is not None
    assert run.as_of == kst(2026, 12, 31, 9, 0)


def test_one_failing_row_is_recorded_and_the_rest_of_its_chunk_still_processed():
    good = TrialSubscriptionFactory.create_batch(2, applied_on=date(2026, 12, 1))
    bad = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    from subscriptions.services import expiry

    original = expiry.suspend_expired_trials

    def failing(subscriptions, now):
        if any(s.pk == bad.pk for s in subscriptions):
            raise RuntimeError("boom")
        return original(subscriptions, now, by=job_actor(EXPIRE_TRIALS))

    steps = [dataclasses.replace(JOBS[EXPIRE_TRIALS][0], process=failing)]

    run = run_steps(EXPIRE_TRIALS, steps, now=kst(2026, 12, 31, 9, 0))

    assert run.errors == 1
    assert run.error_details[0]["id"] == bad.pk
    assert set(Subscription.objects.filter(status=Status.SUSPENDED).values_list("pk", flat=True)) == {
        s.pk for s in good
    }


# --- exactly once under concurrency and crashes (real transactions) ---


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_workers_over_2000_due_trials_process_each_exactly_once():
    ids = bulk_trials(2000, applied_on=date(2026, 12, 1))
    barrier = threading.Barrier(4)
    runs, failures = [], []

    def worker():
        try:
            barrier.wait()
            runs.append(expire(kst(2026, 12, 31, 0, 10), chunk_size=100))
        except Exception as error:  # pragma: no cover - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sum(run.processed for run in runs) == 2000
    assert Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).count() == 2000
    events = LifecycleEvent.objects.filter(subscription_id__in=ids, kind="trial_expired")
    assert events.count() == 2000
    assert events.values("subscription_id").distinct().count() == 2000


CRASHING_WORKER = """
import os, signal, sys
import django
django.setup()
from subscriptions.lifecycle import EXPIRE_TRIALS, JOBS
from subscriptions.services import expiry, jobs
from subscriptions.services.core import job_actor
from works_console.dates import KST
from datetime import datetime
chunks = {"n": 0}
original = expiry.suspend_expired_trials
def crash_in_third_chunk(subscriptions, now):
    changed = original(subscriptions, now, by=job_actor(EXPIRE_TRIALS))  # written, not yet committed
    chunks["n"] += 1
    if chunks["n"] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return changed
step = JOBS[EXPIRE_TRIALS][0]
steps = [jobs.Step(step.name, step.due, crash_in_third_chunk, step.describe)]
jobs.run_steps(EXPIRE_TRIALS, steps, now=datetime(2026, 12, 31, 0, 10, tzinfo=KST), chunk_size=100)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_chunk_loses_and_doubles_nothing():
    ids = bulk_trials(500, applied_on=date(2026, 12, 1))
    db = settings.DATABASES["default"]
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "works_console.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }

    killed = subprocess.run(
        [sys.executable, "-c", CRASHING_WORKER], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    # given: killed in the 3rd chunk, after 2 committed chunks and with the 3rd's writes rolled back
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).count() == 200
    crashed = JobRun.objects.get()
    # and the run's record holds exactly what was committed (issue 11: it used to stay at processed=0 for ever)
    assert (crashed.state, crashed.processed, crashed.finished_at) == (JobRun.State.RUNNING, 200, None)
    # when: a new run, later than a chunk can take
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.JOB_RUN_STALE_AFTER + 1), tick=False):
        run = expire(kst(2026, 12, 31, 0, 40), chunk_size=100)
    # then: everything exactly once, and the dead run closed as abandoned
    crashed.refresh_from_db()
    assert (crashed.state, crashed.processed) == (JobRun.State.ABANDONED, 200)
    assert crashed.finished_at is not None
    assert run.processed == 300
    assert Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).count() == 500
    assert LifecycleEvent.objects.filter(subscription_id__in=ids, kind="trial_expired").count() == 500


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_a_view_is_skipped_and_caught_by_the_next_run():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    view = connections.create_connection("default")
    view.set_autocommit(False)
    with view.cursor() as cursor:
        cursor.execute("SELECT id FROM subscriptions_subscription WHERE id = %s FOR UPDATE", [subscription.pk])

    while_locked = expire(kst(2026, 12, 31, 0, 10))
    view.rollback()
    view.close()
    after = expire(kst(2026, 12, 31, 0, 25))

    assert (while_locked.processed, while_locked.skipped) == (0, 1)
    assert after.processed == 1
    subscription.refresh_from_db()
    assert subscription.status == Status.SUSPENDED
