"""Jobs fanned out over real Celery worker processes on Redis (SPEC 6, 10): chunk messages, exactly once,
true job records after a SIGKILL, and no second fan-out while one runs."""

import signal
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing.models import ContractType, Invoice
from billing.tasks import renew_subscriptions
from subscriptions.lifecycle import EXPIRE_TRIALS, JOBS, RENEW
from subscriptions.models import JobChunk, JobRun, LifecycleEvent, Status, Subscription
from subscriptions.services.jobs import open_run, plan_run, run_chunk
from subscriptions.tasks import expire_trials, start_job
from tests.accounts.factories import UserFactory
from tests.billing.factories import bulk_active_subscriptions, kst
from tests.subscriptions.test_jobs import bulk_trials
from tests.subscriptions.workers import start_workers, stop_workers, wait_until
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

# Run in each worker before it starts: chunks of 100 rows, so 2,000 due rows make 20 messages.
SMALL_CHUNKS = "from django.conf import settings; settings.JOB_CHUNK_SIZE = 100"


def due_trials_now(count: int) -> list[int]:
    """Trials whose last day was 11 days ago (KST) and whose grace runs on: due for the suspension only."""
    return bulk_trials(count, applied_on=kst_date(timezone.now()) - timedelta(days=40))


def run_is_over(run_id: int) -> bool:
    return JobRun.objects.filter(pk=run_id).exclude(state=JobRun.State.RUNNING).exists()


@pytest.fixture
def small_chunks(settings):
    settings.JOB_CHUNK_SIZE = 100


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_worker_processes_share_one_run_over_2000_due_trials_each_exactly_once(small_chunks):
    ids = due_trials_now(2000)
    workers = start_workers(4, prelude=SMALL_CHUNKS)
    try:
        planned = expire_trials.apply_async(ignore_result=False).get(timeout=60)
        wait_until(lambda: run_is_over(planned["job_run"]))
    finally:
        stop_workers(workers)

    run = JobRun.objects.get(pk=planned["job_run"])
    assert planned["chunks"] == 20
    assert (run.state, run.processed, run.skipped, run.errors, run.fan_out) == (
        JobRun.State.FINISHED,
        2000,
        0,
        0,
        True,
    )
    assert list(run.chunks.filter(step_index=0, sweep=0).values_list("processed", flat=True)) == [100] * 20
    assert not run.chunks.filter(done_at__isnull=True).exists()
    assert Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).count() == 2000
    events = LifecycleEvent.objects.filter(subscription_id__in=ids, kind="trial_expired")
    assert events.count() == 2000
    assert events.values("subscription_id").distinct().count() == 2000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_worker_processes_issue_each_of_2000_invoices_exactly_once(small_chunks):
    subscriptions = bulk_active_subscriptions(2000, contract_type=ContractType.MONTHLY, customer=UserFactory())
    ids = [subscription.pk for subscription in subscriptions]
    workers = start_workers(4, prelude=SMALL_CHUNKS)
    try:
        # Beat's tick just after midnight KST on the day after the period's end; the chunks use its instant.
        with time_machine.travel(kst(2027, 1, 15, 0, 10), tick=False):
            planned = renew_subscriptions.apply().get()
        wait_until(lambda: run_is_over(planned["job_run"]))
    finally:
        stop_workers(workers)

    run = JobRun.objects.get(pk=planned["job_run"])
    assert (run.job, run.state, run.processed, run.errors) == (RENEW, JobRun.State.FINISHED, 2000, 0)
    invoices = Invoice.objects.filter(subscription_id__in=ids)
    assert invoices.count() == 2000
    assert invoices.values("subscription_id").distinct().count() == 2000
    assert Subscription.objects.filter(pk__in=ids, next_period_index=1).count() == 2000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_chunk_leaves_a_true_record_that_the_next_tick_closes_as_abandoned(small_chunks):
    ids = due_trials_now(500)
    # given: a worker killed with SIGKILL in its 3rd chunk, after its writes and before the commit
    crash_in_third_chunk = """
import os, signal
from subscriptions.lifecycle import EXPIRE_TRIALS, JOBS
from subscriptions.services import jobs
original = JOBS[EXPIRE_TRIALS][0]
chunks = {"n": 0}
def process(subscriptions, now):
    changed = original.process(subscriptions, now)
    chunks["n"] += 1
    if chunks["n"] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return changed
JOBS[EXPIRE_TRIALS][0] = jobs.Step(original.name, original.due, process, original.describe)
"""
    (killed,) = start_workers(1, prelude=SMALL_CHUNKS + "\n" + crash_in_third_chunk)
    planned = expire_trials.delay()
    killed.wait(timeout=90)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.read()
    crashed = JobRun.objects.get()
    # then: the record holds what was committed, chunk by chunk, and says the run is not over
    assert (crashed.state, crashed.processed, crashed.finished_at) == (JobRun.State.RUNNING, 200, None)
    assert crashed.chunks.filter(done_at__isnull=False).count() == 2
    assert crashed.chunks.filter(done_at__isnull=True).count() == 3
    assert Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).count() == 200

    # when: beat's next tick, later than a chunk can take, with a healthy worker
    workers = start_workers(1, prelude=SMALL_CHUNKS)
    try:
        with time_machine.travel(timezone.now() + timedelta(minutes=15), tick=False):
            next_tick = expire_trials.apply().get()
        wait_until(lambda: run_is_over(next_tick["job_run"]))
    finally:
        stop_workers(workers)

    # then: the dead run is closed as abandoned, the new one does exactly the rest
    crashed.refresh_from_db()
    assert crashed.state == JobRun.State.ABANDONED
    assert crashed.finished_at is not None
    assert crashed.processed == 200
    assert JobRun.objects.get(pk=next_tick["job_run"]).processed == 300
    assert Subscription.objects.filter(pk__in=ids, status=Status.SUSPENDED).count() == 500
    assert LifecycleEvent.objects.filter(subscription_id__in=ids, kind="trial_expired").count() == 500
    assert planned.id  # the killed message is still unacknowledged in Redis: redelivered after the timeout


def test_a_tick_while_a_fan_out_of_the_job_runs_starts_no_second_one(small_chunks):
    due_trials_now(150)
    with time_machine.travel(timezone.now(), tick=False):
        first = start_job(EXPIRE_TRIALS)  # planned; its chunk messages wait for a worker

    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        second = start_job(EXPIRE_TRIALS)

    from works_console.celery import app

    app.control.purge()  # the first run's chunk messages: no worker in this test takes them
    assert first["chunks"] == 2
    assert second == {"job_run": None, "chunks": 0, "running": True}
    assert JobRun.objects.count() == 1
    assert JobChunk.objects.count() == 2


def test_a_chunk_of_an_abandoned_run_does_nothing():
    ids = due_trials_now(3)
    run = open_run(EXPIRE_TRIALS, now=timezone.now(), fan_out=True)
    (chunk,) = plan_run(run, JOBS[EXPIRE_TRIALS])
    JobRun.objects.filter(pk=run.pk).update(state=JobRun.State.ABANDONED, finished_at=timezone.now())

    next_chunks = run_chunk(chunk.pk, JOBS[EXPIRE_TRIALS])

    assert next_chunks == []
    chunk.refresh_from_db()
    assert chunk.done_at is None
    assert Subscription.objects.filter(pk__in=ids, status=Status.TRIAL).count() == 3


def test_a_done_chunk_delivered_again_does_nothing():
    ids = due_trials_now(3)
    run = open_run(EXPIRE_TRIALS, now=timezone.now(), fan_out=True)
    (chunk,) = plan_run(run, JOBS[EXPIRE_TRIALS])
    run_chunk(chunk.pk, JOBS[EXPIRE_TRIALS])
    Subscription.objects.filter(pk__in=ids).update(status=Status.TRIAL)  # due again, to see a second pass

    run_chunk(chunk.pk, JOBS[EXPIRE_TRIALS])

    run.refresh_from_db()
    assert (run.state, run.processed) == (JobRun.State.FINISHED, 3)
    assert LifecycleEvent.objects.filter(subscription_id__in=ids, kind="trial_expired").count() == 3


def test_a_live_run_is_not_closed_and_a_silent_one_is(settings):
    settings.JOB_RUN_STALE_AFTER = 300
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        live = open_run(EXPIRE_TRIALS, now=started)
        silent = open_run(EXPIRE_TRIALS, now=started)
    JobRun.objects.filter(pk=silent.pk).update(heartbeat_at=started - timedelta(seconds=1))

    with time_machine.travel(started + timedelta(seconds=300), tick=False):
        open_run(EXPIRE_TRIALS, now=started + timedelta(seconds=300))

    live.refresh_from_db()
    silent.refresh_from_db()
    assert live.state == JobRun.State.RUNNING
    assert (silent.state, silent.finished_at) == (JobRun.State.ABANDONED, started + timedelta(seconds=300))


@pytest.mark.parametrize(
    "ticks",
    [
        pytest.param([kst(2027, 1, 14, 23, 50)], id="23-50-on-the-last-day-too-early"),
        pytest.param(
            [kst(2027, 1, 14, 23, 50), kst(2027, 1, 15, 0, 10), kst(2027, 1, 15, 0, 40), kst(2027, 1, 15, 9, 0)],
            id="23-50-00-10-00-40-09-00",
        ),
    ],
)
def test_fanned_out_ticks_around_midnight_kst_issue_exactly_one_invoice_per_period(ticks, celery_eager):
    subscriptions = bulk_active_subscriptions(3, contract_type=ContractType.ANNUAL, customer=UserFactory())

    for tick in ticks:
        with time_machine.travel(tick, tick=False):
            renew_subscriptions.delay()

    expected = 0 if len(ticks) == 1 else 1
    for subscription in subscriptions:
        assert Invoice.objects.filter(subscription=subscription, period_index=0).count() == expected
        assert Invoice.objects.filter(subscription=subscription).count() == expected
    assert list(JobRun.objects.order_by("pk").values_list("state", "processed")) == [
        (JobRun.State.FINISHED, 0 if index == 0 or index > 1 else 3) for index in range(len(ticks))
    ]


@pytest.fixture
def celery_eager():
    """Tasks run where they are sent, so a test can drive beat's ticks with the clock it sets."""
    from works_console.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_broker_redelivers_a_killed_chunk_soon_after_the_longest_task_and_never_a_running_one(settings):
    from subscriptions.tasks import TASK_OPTIONS

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    # Above every task's hard limit: a running chunk is never handed to a second worker ...
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    assert visibility > TASK_OPTIONS["time_limit"]
    # ... and a minute after it, not the 3 hours of the whole-job tasks: a killed chunk is done by the next tick.
    assert visibility == settings.CELERY_TASK_TIME_LIMIT + 60 == 360
    assert settings.JOB_RUN_STALE_AFTER == settings.CELERY_TASK_TIME_LIMIT == 300
