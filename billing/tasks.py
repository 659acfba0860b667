"""Celery task of the billing cycle (SPEC 6): close ended periods, invoice them, apply renewal options.

Fanned out like every lifecycle job (subscriptions.tasks): this task plans the run, chunk messages do the work.
"""

from celery import shared_task

from subscriptions.lifecycle import RENEW
from subscriptions.tasks import TASK_OPTIONS, start_job


@shared_task(name=RENEW, **TASK_OPTIONS)
def renew_subscriptions() -> dict:
    return start_job(RENEW)
