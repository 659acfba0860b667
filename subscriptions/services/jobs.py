"""The lifecycle jobs (SPEC 6): find what is due with SQL, claim it in chunks, hand each chunk to a service.

Exactly once, whatever the number of workers and however often a job fires:
- due rows are read in keyset chunks (`id > last`, ordered by id) and claimed with
  `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never hold the same row;
- the due condition is part of the locking query, and PostgreSQL re-evaluates it on the row it locked (a row
  changed meanwhile, e.g. a withdrawn reservation or a conversion by a view, no longer matches and is skipped);
- each chunk commits on its own: a crash loses at most the chunk in flight, which stays due for the next run;
- unique constraints (one invoice per period, one reminder per key) are the last guard underneath;
- a final sweep repeats the pass until nothing due is left that this run could claim.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import OperationalError, models, transaction
from django.utils import timezone

from subscriptions.models import JobRun
from works_console.dates import kst_date
from works_console.logging import job_run_context

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1000
MAX_SWEEPS = 3


@dataclass(frozen=True)
class Step:
    """One kind of due item of a job: how to find it, and the service that processes a claimed chunk."""

    name: str
    # The due rows as of a KST date; must be a plain filter on one model (it is re-run under the lock).
    due: Callable[[date], models.QuerySet]
    # Processes the locked rows inside the chunk's transaction; returns how many it changed.
    process: Callable[[list, datetime], int]
    # One line for --dry-run: what would happen to a due row.
    describe: Callable[[models.Model, date], str]


@dataclass
class Outcome:
    processed: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)


def _chunks_of_due_ids(step: Step, today: date, chunk_size: int) -> Iterator[list[int]]:
    last_id = 0
    while True:
        ids = list(step.due(today).filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        yield ids
        last_id = ids[-1]


def _claim(step: Step, today: date, ids: list[int]) -> list:
    locked = step.due(today).filter(pk__in=ids).select_for_update(skip_locked=True, no_key=True, of=("self",))
    return list(locked.order_by("pk"))


def _process_chunk(step: Step, today: date, now: datetime, ids: list[int], outcome: Outcome) -> int:
    try:
        with transaction.atomic():
            claimed = _claim(step, today, ids)
            outcome.skipped += len(ids) - len(claimed)
            return step.process(claimed, now) if claimed else 0
    except OperationalError:
        raise  # the database is gone: the task retries with backoff, nothing of this chunk was kept
    except Exception:  # noqa: BLE001 - one bad row must not stop the job: isolate it below
        logger.exception("%s: chunk failed, retrying its rows one by one", step.name)
    changed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                claimed = _claim(step, today, [pk])
                changed += step.process(claimed, now) if claimed else 0
        except Exception as error:  # noqa: BLE001 - recorded on the job run for operators
            logger.exception("%s: subscription %s failed", step.name, pk)
            outcome.errors.append({"step": step.name, "id": pk, "error": repr(error)[:500]})
    return changed


def run_steps(
    job: str,
    steps: list[Step],
    *,
    now: datetime,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
) -> JobRun:
    """Run every step of a job as of `now`, record a JobRun, and return it."""
    today = kst_date(now)
    run = JobRun.objects.create(job=job, started_at=timezone.now(), as_of=now)
    with job_run_context(run.pk):  # every log line of the run carries its id
        outcome = Outcome()
        failed_ids: set[int] = set()
        for step in steps:
            for _sweep in range(MAX_SWEEPS):
                processed_this_sweep = 0
                for ids in _chunks_of_due_ids(step, today, chunk_size):
                    ids = [pk for pk in ids if pk not in failed_ids]
                    if not ids:
                        continue
                    errors_before = len(outcome.errors)
                    changed = _process_chunk(step, today, now, ids, outcome)
                    failed_ids.update(error["id"] for error in outcome.errors[errors_before:])
                    processed_this_sweep += changed
                    if on_chunk:
                        on_chunk(len(ids))
                outcome.processed += processed_this_sweep
                if processed_this_sweep == 0:
                    break
        run.finished_at = timezone.now()
        run.processed, run.skipped, run.errors = outcome.processed, outcome.skipped, len(outcome.errors)
        run.error_details = outcome.errors[:100]
        run.save(update_fields=["finished_at", "processed", "skipped", "errors", "error_details"])
        logger.info("%s: processed %d, skipped %d, errors %d", job, run.processed, run.skipped, run.errors)
    return run


def count_due(steps: list[Step], *, now: datetime) -> int:
    today = kst_date(now)
    return sum(step.due(today).count() for step in steps)
