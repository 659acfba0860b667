import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from subscriptions.lifecycle import JOBS
from subscriptions.preview import preview_lifecycle, preview_lines
from subscriptions.services.jobs import count_due, run_steps
from works_console.dates import KST

SHORT_NAMES = {name.rsplit(".", 1)[-1]: name for name in JOBS}


class Command(BaseCommand):
    help = (
        "Run the lifecycle jobs once, in the SPEC 6 order: conversions, renewals, cancellations, trial expiry, "
        "reminders. --dry-run prints what would happen and writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--job", choices=sorted(SHORT_NAMES), help="run only this job")
        parser.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
        parser.add_argument(
            "--at",
            help="the instant to decide 'due' against (ISO-8601; KST when no offset); a future one needs --dry-run",
        )

    def handle(self, *args, job: str | None, dry_run: bool, at: str | None, **options) -> None:
        now = timezone.now()
        if at:
            try:
                as_of = datetime.fromisoformat(at)
            except ValueError as error:
                raise CommandError(f"--at: not an ISO-8601 instant: {at}") from error
            if as_of.tzinfo is None:
                as_of = as_of.replace(tzinfo=KST)
            if as_of > now and not dry_run:
                raise CommandError("--at in the future is only allowed with --dry-run (a preview).")
            now = as_of
        names = [SHORT_NAMES[job]] if job else list(JOBS)
        if dry_run:
            # SPEC 11: each item a run at `now` would touch, with its amounts, then the totals; nothing written.
            for line in preview_lines(preview_lifecycle(now=now, jobs=names)):
                self.stdout.write(line)
            return
        for name in names:
            steps = JOBS[name]
            total = count_due(steps, now=now)
            with tqdm(total=total, desc=name.rsplit(".", 1)[-1], disable=not sys.stderr.isatty()) as bar:
                run = run_steps(name, steps, now=now, on_chunk=bar.update)
            self.stdout.write(
                f"{name}: processed {run.processed}, skipped {run.skipped} (locked elsewhere), errors {run.errors}"
            )
