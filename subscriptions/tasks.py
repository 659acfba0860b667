"""Celery tasks of the subscription lifecycle (SPEC 6): thin, no arguments, the work is in the services."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from subscriptions.lifecycle import (
    ACTIVATE_CONVERSIONS,
    EXECUTE_CANCELLATIONS,
    EXPIRE_TRIALS,
    JOBS,
    SEND_REMINDERS,
)
from subscriptions.services.jobs import run_steps

TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}


def run_job(name: str) -> dict:
    run = run_steps(name, JOBS[name], now=timezone.now())
    return {"job_run": run.pk, "processed": run.processed, "skipped": run.skipped, "errors": run.errors}


@shared_task(name=ACTIVATE_CONVERSIONS, **TASK_OPTIONS)
def activate_scheduled_conversions() -> dict:
    return run_job(ACTIVATE_CONVERSIONS)


@shared_task(name=EXECUTE_CANCELLATIONS, **TASK_OPTIONS)
def execute_scheduled_cancellations() -> dict:
    return run_job(EXECUTE_CANCELLATIONS)


@shared_task(name=EXPIRE_TRIALS, **TASK_OPTIONS)
def expire_trials() -> dict:
    return run_job(EXPIRE_TRIALS)


@shared_task(name=SEND_REMINDERS, **TASK_OPTIONS)
def send_reminders() -> dict:
    return run_job(SEND_REMINDERS)
