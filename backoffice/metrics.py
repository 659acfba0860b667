"""Prometheus metrics for the people on call (SPEC 11), read from the job runs and the due queries at scrape time:
`/metrics`, for signed-in operators and for a scraper presenting the metrics token.

The jobs run in Celery workers, often on other machines, so nothing is kept in process memory: every scrape
reads the JobRun table (two queries; counts as the chunks add them, durations of the finished runs) and counts what
each job has due now (one COUNT per step).
"""

import hmac
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from subscriptions.lifecycle import JOBS
from subscriptions.models import JobRun
from subscriptions.services.jobs import count_due

from .second_factor import is_operator


class LifecycleCollector(Collector):
    def __init__(self, *, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        # A run's counts are added by its chunks as they commit, so every run counts items, also one still running
        # or abandoned (what it did is done); durations and the last run are the finished runs'.
        runs = JobRun.objects.filter(dry_run=False)
        done = Q(state=JobRun.State.FINISHED)
        totals = {
            row["job"]: row
            for row in runs.order_by()
            .values("job")
            .annotate(
                runs=Count("pk", filter=done),
                seconds=Sum(duration, filter=done),
                processed=Sum("processed"),
                errors=Sum("errors"),
            )
        }
        finished = runs.filter(done)
        last_runs = {
            run.job: run
            for run in finished.annotate(
                row_number=Window(
                    RowNumber(), partition_by=[F("job")], order_by=[F("started_at").desc(), F("id").desc()]
                )
            ).filter(row_number=1)
        }

        durations = SummaryMetricFamily(
            "works_job_duration_seconds", "Duration of the lifecycle job runs", labels=["job"]
        )
        processed = CounterMetricFamily(
            "works_job_items_processed", "Items processed by the lifecycle job runs", labels=["job"]
        )
        errors = CounterMetricFamily("works_job_errors", "Items that failed in the lifecycle job runs", labels=["job"])
        last_duration = GaugeMetricFamily(
            "works_job_last_run_duration_seconds", "Duration of the last run of each job", labels=["job"]
        )
        last_processed = GaugeMetricFamily(
            "works_job_last_run_processed", "Items processed by the last run of each job", labels=["job"]
        )
        last_errors = GaugeMetricFamily(
            "works_job_last_run_errors", "Failed items of the last run of each job", labels=["job"]
        )
        last_finished = GaugeMetricFamily(
            "works_job_last_run_finished_timestamp_seconds", "When the last run of each job finished", labels=["job"]
        )
        backlog = GaugeMetricFamily(
            "works_job_due_backlog", "Items due now that the job has not processed", labels=["job"]
        )
        for job, steps in JOBS.items():
            total = totals.get(job)
            seconds = total["seconds"].total_seconds() if total and total["seconds"] is not None else 0.0
            durations.add_metric([job], count_value=total["runs"] if total else 0, sum_value=seconds)
            processed.add_metric([job], total["processed"] if total else 0)
            errors.add_metric([job], total["errors"] if total else 0)
            run = last_runs.get(job)
            if run is not None:
                last_duration.add_metric([job], (run.finished_at - run.started_at).total_seconds())
                last_processed.add_metric([job], run.processed)
                last_errors.add_metric([job], run.errors)
                last_finished.add_metric([job], run.finished_at.timestamp())
            backlog.add_metric([job], count_due(steps, now=self.now))
        yield from (
            durations,
            processed,
            errors,
            last_duration,
            last_processed,
            last_errors,
            last_finished,
            backlog,
        )


def _metrics_allowed(request: HttpRequest) -> bool:
    """An operator signed in with the second factor (SPEC 13), or a scraper presenting
    ``Authorization: Bearer <METRICS_TOKEN>`` (no token set: operators only)."""
    if is_operator(request.user):
        return True
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip(), token)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (SPEC 11): job durations, items processed, errors, the due backlog per job."""
    if not _metrics_allowed(request):
        response = HttpResponse("Forbidden: staff or a metrics token only.\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LifecycleCollector(now=timezone.now()))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
