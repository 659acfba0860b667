"""Runs the lifecycle jobs ROUNDS times (`run_lifecycle`, as beat does), each time after applying TRIALS trials
that are already past their last day, so every run has suspensions, reminders and job runs to write."""

import sys
from datetime import timedelta

from tests.project.sqlite_workers.common import setup_and_wait_for_start

ROUNDS = int(sys.argv[1])
TRIALS = int(sys.argv[2])

setup_and_wait_for_start()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from subscriptions.models import JobRun  # noqa: E402
from tests.subscriptions.factories import TrialSubscriptionFactory  # noqa: E402
from works_console.dates import kst_date  # noqa: E402

today = kst_date(timezone.now())
for _round in range(ROUNDS):
    TrialSubscriptionFactory.create_batch(TRIALS, applied_on=today - timedelta(days=35))
    call_command("run_lifecycle", verbosity=0)
errors = sum(JobRun.objects.values_list("errors", flat=True))
print(f"job runs: {JobRun.objects.count()}, errors: {errors}", flush=True)
sys.exit(1 if errors else 0)
