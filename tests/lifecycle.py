"""Running the lifecycle jobs in a test, in one process, as `run_lifecycle` and beat run them (SPEC 6)."""

from collections.abc import Iterable
from datetime import datetime

from django.test import TestCase

from subscriptions.lifecycle import JOBS
from subscriptions.services.jobs import run_steps


def run_jobs(now: datetime, jobs: Iterable[str] | None = None) -> None:
    """The ``jobs`` (every job, in the order of SPEC 6, when None) once at ``now``, their mails sent on commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        for job in JOBS if jobs is None else jobs:
            run_steps(job, JOBS[job], now=now)


def run_lifecycle(now: datetime) -> None:
    """Every job once at ``now``."""
    run_jobs(now)
