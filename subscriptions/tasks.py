"""Celery tasks of the subscription lifecycle (SPEC 6): thin, the work is in the services.

Each job's task (the SPEC names, started by beat) plans a run and fans it out: one `run_job_chunk` message per
chunk of due ids, sent as a group, so every worker of every machine takes a share of one run (SPEC 10). The chunk
that closes a phase of the run sends the next phase's chunks the same way.
"""

from celery import group, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from subscriptions.lifecycle import (
    ACTIVATE_CONVERSIONS,
    EXECUTE_CANCELLATIONS,
    EXPIRE_TRIALS,
    JOBS,
    SEND_REMINDERS,
)
from subscriptions.models import JobChunk
from subscriptions.services.jobs import open_run, plan_run, run_chunk
from works_console.logging import job_run_context

RUN_JOB_CHUNK = "subscriptions.tasks.run_job_chunk"
TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
    # A chunk or a planning is the longest task there is; the broker's visibility timeout is set above it.
    "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
}


def _send(chunks: list[JobChunk]) -> None:
    if chunks:
        group(run_job_chunk.si(chunk_id=chunk.pk) for chunk in chunks).apply_async()


def start_job(name: str) -> dict:
    """Plan a run of job `name` as of now and send its first chunks; nothing while a run of it is alive."""
    run = open_run(name, now=timezone.now(), chunk_size=settings.JOB_CHUNK_SIZE, fan_out=True)
    if run is None:
        return {"job_run": None, "chunks": 0, "running": True}
    with job_run_context(run.pk):  # the planning's log lines carry the run's id, as its chunks' do
        chunks = plan_run(run, JOBS[name])
        _send(chunks)
    return {"job_run": run.pk, "chunks": len(chunks)}


@shared_task(name=RUN_JOB_CHUNK, **TASK_OPTIONS)
def run_job_chunk(*, chunk_id: int) -> dict:
    chunk = JobChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if chunk is None:
        return {"chunk": chunk_id, "next_chunks": 0}
    next_chunks = run_chunk(chunk_id, JOBS[chunk.run.job])
    _send(next_chunks)
    return {"chunk": chunk_id, "next_chunks": len(next_chunks)}


def job_task(name: str):
    """The Celery task of job ``name``, registered under that SPEC task name (beat starts it): ``start_job``."""

    @shared_task(name=name, **TASK_OPTIONS)
    def start() -> dict:
        return start_job(name)

    return start


activate_scheduled_conversions = job_task(ACTIVATE_CONVERSIONS)
execute_scheduled_cancellations = job_task(EXECUTE_CANCELLATIONS)
expire_trials = job_task(EXPIRE_TRIALS)
send_reminders = job_task(SEND_REMINDERS)
