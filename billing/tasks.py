"""Celery task of the billing cycle (SPEC 6): close ended periods, invoice them, apply renewal options.

Fanned out like every lifecycle job (subscriptions.tasks): this task plans the run, chunk messages do the work.
"""

from subscriptions.lifecycle import RENEW
from subscriptions.tasks import job_task

renew_subscriptions = job_task(RENEW)
