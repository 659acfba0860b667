"""`python manage.py run_lifecycle` (SPEC 6) and the Celery tasks on a real worker consuming from Redis."""

from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from subscriptions.models import JobRun, LifecycleEvent, Status, Subscription
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.subscriptions.workers import wait_until
from works_console.dates import KST

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("run_lifecycle", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(datetime(2026, 12, 20, 9, 0, tzinfo=KST), tick=False)
def test_dry_run_at_a_future_instant_previews_and_writes_nothing():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1), name="acme")

    output = run("--dry-run", "--at", "2026-12-31T00:10:00+09:00")

    assert "subscriptions.tasks.expire_trials: 1 due (dry run, nothing written)" in output
    assert "suspend_trial: acme: trial ended 2026-12-30, suspended until 2027-01-29" in output
    subscription.refresh_from_db()
    assert subscription.status == Status.TRIAL
    assert not JobRun.objects.exists()
    assert not LifecycleEvent.objects.exists()


@time_machine.travel(datetime(2026, 12, 20, 9, 0, tzinfo=KST), tick=False)
def test_a_future_instant_without_dry_run_is_refused():
    with pytest.raises(CommandError, match="only allowed with --dry-run"):
        run("--at", "2026-12-31T00:10:00+09:00")

    assert not JobRun.objects.exists()


def test_an_invalid_instant_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="not an ISO-8601 instant"):
        run("--dry-run", "--at", "next tuesday")


@time_machine.travel(datetime(2026, 12, 31, 0, 10, tzinfo=KST), tick=False)
def test_one_job_runs_alone_and_reports_what_it_did():
    TrialSubscriptionFactory.create_batch(2, applied_on=date(2026, 12, 1))

    output = run("--job", "expire_trials")

    assert "subscriptions.tasks.expire_trials: processed 2, skipped 0 (locked elsewhere), errors 0" in output
    assert list(JobRun.objects.values_list("job", flat=True)) == ["subscriptions.tasks.expire_trials"]
    assert Subscription.objects.filter(status=Status.SUSPENDED).count() == 2


@time_machine.travel(datetime(2026, 12, 31, 0, 10, tzinfo=KST), tick=False)
def test_all_jobs_run_in_the_spec_order():
    run()

    assert list(JobRun.objects.order_by("pk").values_list("job", flat=True)) == [
        "subscriptions.tasks.activate_scheduled_conversions",
        "billing.tasks.renew_subscriptions",
        "subscriptions.tasks.execute_scheduled_cancellations",
        "subscriptions.tasks.expire_trials",
        "subscriptions.tasks.send_reminders",
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_consuming_from_redis_runs_a_job_end_to_end(settings):
    from celery.contrib.testing.worker import start_worker

    from subscriptions.tasks import expire_trials
    from works_console.celery import app

    subscription = TrialSubscriptionFactory(applied_on=date(2020, 1, 1))  # long past its trial
    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = expire_trials.apply_async(ignore_result=False)
        planned = result.get(timeout=30)
        # The task planned the run and sent its chunks; the same worker takes them, one phase after another.
        wait_until(lambda: JobRun.objects.get().state != JobRun.State.RUNNING, timeout=30)

    subscription.refresh_from_db()
    assert planned["chunks"] == 1
    assert subscription.status == Status.TERMINATED  # suspended, then past its grace as well: purged
    assert subscription.workspace_id is None
    run = JobRun.objects.get()
    assert (run.state, run.processed, run.fan_out) == (JobRun.State.FINISHED, 2, True)
    # suspend_trial, its sweep (nothing left), then terminate_after_grace: one chunk each with work
    assert list(run.chunks.values_list("step_index", "sweep", "processed")) == [(0, 0, 1), (1, 0, 1)]
