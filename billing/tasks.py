"""Celery task of the billing cycle (SPEC 6): close ended periods, invoice them, apply renewal options."""

from celery import shared_task

from subscriptions.lifecycle import RENEW
from subscriptions.tasks import TASK_OPTIONS, run_job


@shared_task(name=RENEW, **TASK_OPTIONS)
def renew_subscriptions() -> dict:
    return run_job(RENEW)
