"""`/metrics` (SPEC 11): Prometheus text for staff or a token from the settings; job durations, items processed,
errors and the due backlog per job. Log lines carry the job run's id."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from subscriptions.lifecycle import EXPIRE_TRIALS, JOBS
from subscriptions.models import JobRun
from subscriptions.services.jobs import open_run, plan_run, run_chunk, run_steps
from tests.accounts.factories import UserFactory
from tests.billing.factories import kst
from tests.subscriptions.factories import TrialSubscriptionFactory

pytestmark = pytest.mark.django_db

RENEW = "billing.tasks.renew_subscriptions"


def samples(response) -> dict[tuple[str, str], float]:
    return {
        (sample.name, sample.labels.get("job", "")): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def runs():
    started = kst(2027, 1, 5, 9)
    finished = JobRun.State.FINISHED
    JobRun.objects.create(
        job=RENEW,
        state=finished,
        started_at=started,
        finished_at=started + timedelta(seconds=12),
        as_of=started,
        processed=40,
    )
    # Closed by the next run after its worker died: its items were done, its duration is no job's duration.
    JobRun.objects.create(
        job=RENEW,
        state=JobRun.State.ABANDONED,
        started_at=started + timedelta(minutes=5),
        finished_at=started + timedelta(minutes=11),
        as_of=started,
        processed=5,
    )
    JobRun.objects.create(
        job=RENEW,
        state=finished,
        started_at=started + timedelta(minutes=15),
        finished_at=started + timedelta(minutes=15, seconds=3),
        as_of=started,
        processed=2,
        errors=1,
    )
    JobRun.objects.create(job=RENEW, started_at=started, as_of=started, dry_run=True, processed=999)


@time_machine.travel(kst(2027, 1, 5, 12), tick=False)
def test_staff_read_job_durations_items_errors_and_the_due_backlog(admin_user, runs):
    TrialSubscriptionFactory.create_batch(2, applied_on=kst(2026, 12, 1).date())  # trial ended 2026-12-30
    client = Client()
    client.force_login(admin_user)

    response = client.get("/metrics")

    values = samples(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert values[("works_job_duration_seconds_count", RENEW)] == 2
    assert values[("works_job_duration_seconds_sum", RENEW)] == 15.0
    assert values[("works_job_items_processed_total", RENEW)] == 47
    assert values[("works_job_errors_total", RENEW)] == 1
    assert values[("works_job_last_run_duration_seconds", RENEW)] == 3.0
    assert values[("works_job_last_run_errors", RENEW)] == 1
    assert values[("works_job_due_backlog", EXPIRE_TRIALS)] == 2
    assert {job for name, job in values if name == "works_job_due_backlog"} == set(JOBS)


@pytest.mark.parametrize(
    ("header", "status"),
    [
        pytest.param("Bearer s3cret-scraper-token", 200, id="right-token"),
        pytest.param("Bearer wrong", 403, id="wrong-token"),
        pytest.param("Basic s3cret-scraper-token", 403, id="wrong-scheme"),
        pytest.param("", 403, id="no-token"),
    ],
)
def test_a_scraper_needs_the_token_from_the_settings(settings, header, status):
    settings.METRICS_TOKEN = "s3cret-scraper-token"

    response = Client().get("/metrics", headers={"Authorization": header} if header else {})

    assert response.status_code == status


def test_without_a_token_in_the_settings_only_staff_get_in(settings):
    settings.METRICS_TOKEN = ""
    customer = Client()
    customer.force_login(UserFactory())

    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403
    assert customer.get("/metrics").status_code == 403


def test_log_lines_of_a_job_run_carry_its_id(caplog):
    TrialSubscriptionFactory()
    outside = logging.getLogger("tests").makeRecord("tests", logging.INFO, __file__, 1, "outside", (), None)

    with caplog.at_level(logging.INFO):
        run = run_steps(EXPIRE_TRIALS, JOBS[EXPIRE_TRIALS], now=kst(2027, 1, 5))

    summary = [record for record in caplog.records if record.getMessage().startswith(EXPIRE_TRIALS)]
    assert [record.getMessage() for record in summary] == [
        f"{EXPIRE_TRIALS}: run {run.pk} finished",
        f"{EXPIRE_TRIALS}: processed 1, skipped 0, errors 0",
    ]
    assert [record.job_run for record in summary] == [run.pk, run.pk]
    assert outside.job_run == "-"


def test_log_lines_of_a_chunk_a_worker_runs_carry_its_run_id(caplog):
    TrialSubscriptionFactory()
    run = open_run(EXPIRE_TRIALS, now=kst(2027, 1, 5), fan_out=True)
    (chunk,) = plan_run(run, JOBS[EXPIRE_TRIALS])

    with caplog.at_level(logging.INFO):
        run_chunk(chunk.pk, JOBS[EXPIRE_TRIALS])  # as the worker's task calls it: outside any run's context
    after = logging.getLogger("tests").makeRecord("tests", logging.INFO, __file__, 1, "after", (), None)

    finished = [
        record for record in caplog.records if record.getMessage() == f"{EXPIRE_TRIALS}: run {run.pk} finished"
    ]
    assert [record.job_run for record in finished] == [run.pk]
    assert after.job_run == "-"
