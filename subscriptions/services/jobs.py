"""The lifecycle jobs (SPEC 6): find what is due with SQL, claim it in chunks, hand each chunk to a service.

Exactly once, whatever the number of workers and however often a job fires:
- a run plans its due rows as keyset chunks of ids (`id > last`, ordered by id), one JobChunk row each: the
  range from its first to its last due id. The Celery tasks send one message per chunk (a group), so every
  worker of every machine takes part in one run; `run_lifecycle` runs the same chunks in its own process;
- a chunk claims its rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never hold the same row;
  the due condition is part of the locking query, and PostgreSQL re-evaluates it on the row it locked (a row
  changed meanwhile, e.g. a withdrawn reservation or a conversion by a view, no longer matches and is skipped);
- each chunk commits on its own, with its counts added to the run and its `done_at` in the same transaction:
  a crash loses at most the chunk in flight, which stays due, and the run's record stays true;
- unique constraints (one invoice per period, one reminder per key) are the last guard underneath;
- a run goes through its job's steps in order, one phase at a time: the chunk that closes a phase plans the
  next one (a sweep over the same step while the last one changed something, up to MAX_SWEEPS, then the next
  step), so the steps keep their order across workers;
- a run that stops beating for longer than a task may take (`JOB_RUN_STALE_AFTER`) lost its worker: the next
  run of the same job closes it as abandoned, and whatever it left due is simply due for the new run.
"""

import logging
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, models, transaction
from django.db.models import F, Sum
from django.utils import timezone

from subscriptions.models import JobChunk, JobRun
from works_console.dates import kst_date
from works_console.logging import job_run_context, set_job_run

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1000
MAX_SWEEPS = 3
MAX_ERROR_DETAILS = 100


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
    # At most this many rows per chunk, below the run's chunk size, for a step with slow work per row.
    chunk_size: int | None = None
    # The lookup from a due row to its subscription ("pk" when the rows are subscriptions).
    subscription_path: str = "pk"


@dataclass(frozen=True)
class Span:
    """The ids a claim may take: `first` to `last`, less the ids that already failed in this run."""

    first: int
    last: int
    failed: frozenset[int] = frozenset()


def _chunks_of_due_ids(step: Step, today: date, chunk_size: int, failed: frozenset[int]) -> Iterator[list[int]]:
    last_id = 0
    while True:
        due = step.due(today).filter(pk__gt=last_id)
        if failed:
            due = due.exclude(pk__in=failed)
        ids = list(due.order_by("pk").values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        yield ids
        last_id = ids[-1]


def _claim(step: Step, today: date, span: Span | list[int]) -> list:
    """Lock the due rows of a chunk's span (or of a list of ids), skipping those locked elsewhere."""
    if isinstance(span, Span):
        due = step.due(today).filter(pk__gte=span.first, pk__lte=span.last)
        if span.failed:
            due = due.exclude(pk__in=span.failed)
    else:
        due = step.due(today).filter(pk__in=span)
    return _lock(due)


def _lock(due: models.QuerySet) -> list:
    return list(due.select_for_update(skip_locked=True, no_key=True, of=("self",)).order_by("pk"))


# --- a run's record ---------------------------------------------------------------------------------------------


def _stale_before(wall: datetime) -> datetime:
    return wall - timedelta(seconds=settings.JOB_RUN_STALE_AFTER)


def close_stale_runs(job: str, *, wall: datetime) -> int:
    """Close as abandoned the runs of `job` that stopped beating (their worker is gone); returns how many."""
    closed = JobRun.objects.filter(job=job, state=JobRun.State.RUNNING, heartbeat_at__lt=_stale_before(wall)).update(
        state=JobRun.State.ABANDONED, finished_at=wall
    )
    if closed:
        logger.warning("%s: closed %d run(s) without a heartbeat since %s as abandoned", job, closed, wall)
    return closed


def _job_lock(job: str) -> None:
    """Serialize the start of runs of one job (PostgreSQL advisory lock, released at commit)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(job.encode())])


def open_run(job: str, *, now: datetime, chunk_size: int = DEFAULT_CHUNK_SIZE, fan_out: bool = False) -> JobRun | None:
    """Start a run of `job` as of `now`, after closing its stale runs.

    A fan-out (the Celery task) is not started while another run of the same job is alive: beat's next tick
    leaves it to finish, and returns None. A run in one process (`run_lifecycle`) always starts; running beside
    another one is correct anyway (the row locks decide), only slower.
    """
    wall = timezone.now()
    with transaction.atomic():
        _job_lock(job)
        close_stale_runs(job, wall=wall)
        if fan_out and JobRun.objects.filter(job=job, state=JobRun.State.RUNNING).exists():
            return None
        try:
            with transaction.atomic():
                return JobRun.objects.create(
                    job=job, started_at=wall, heartbeat_at=wall, as_of=now, chunk_size=chunk_size, fan_out=fan_out
                )
        except IntegrityError:  # a second planner of the same job got there first (the unique constraint)
            return None


def _failed_ids(run: JobRun, step_index: int) -> frozenset[int]:
    """Ids of this step that failed earlier in the run: a sweep does not try them again."""
    if not run.errors:
        return frozenset()
    details = JobChunk.objects.filter(run=run, step_index=step_index, errors__gt=0).values_list(
        "error_details", flat=True
    )
    return frozenset(error["id"] for chunk_errors in details for error in chunk_errors)


def _chunk_size(run: JobRun, step: Step) -> int:
    return min(run.chunk_size, step.chunk_size) if step.chunk_size else run.chunk_size


def _plan(run: JobRun, steps: list[Step], *, step_index: int, sweep: int) -> list[JobChunk]:
    """The chunks of the first phase from (`step_index`, `sweep`) on that has due rows; finishes the run when
    none has. Called in the transaction of the chunk that closed the previous phase (or of the run's start)."""
    today = kst_date(run.as_of)
    while step_index < len(steps):
        failed = _failed_ids(run, step_index)
        chunks = [
            JobChunk(run=run, step_index=step_index, sweep=sweep, first_id=ids[0], last_id=ids[-1], size=len(ids))
            for ids in _chunks_of_due_ids(steps[step_index], today, _chunk_size(run, steps[step_index]), failed)
        ]
        if chunks:
            JobChunk.objects.bulk_create(chunks)
            JobRun.objects.filter(pk=run.pk).update(step_index=step_index, sweep=sweep, heartbeat_at=timezone.now())
            run.step_index, run.sweep = step_index, sweep
            return chunks
        step_index, sweep = step_index + 1, 0
    wall = timezone.now()
    JobRun.objects.filter(pk=run.pk, state=JobRun.State.RUNNING).update(
        state=JobRun.State.FINISHED, finished_at=wall, heartbeat_at=wall, step_index=len(steps), sweep=0
    )
    logger.info("%s: run %d finished", run.job, run.pk)
    return []


def plan_run(run: JobRun, steps: list[Step]) -> list[JobChunk]:
    """The chunks of a run's first phase (an empty list: nothing was due, the run is finished)."""
    with transaction.atomic():
        return _plan(run, steps, step_index=0, sweep=0)


# --- a chunk ----------------------------------------------------------------------------------------------------


def _lock_chunk(chunk_id: int) -> JobChunk | None:
    """The chunk, locked, unless it is done or another worker holds it (a redelivered message)."""
    return (
        JobChunk.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("run")
        .filter(pk=chunk_id, done_at__isnull=True)
        .first()
    )


def _add_to_run(run_id: int, *, processed: int, skipped: int = 0, errors: list[dict] = ()) -> None:
    """Add counts to the run, in the caller's transaction; also its heartbeat."""
    changes = {"processed": F("processed") + processed, "heartbeat_at": timezone.now()}
    if skipped:
        changes["skipped"] = F("skipped") + skipped
    if errors:
        run = JobRun.objects.select_for_update().only("error_details").get(pk=run_id)
        changes["errors"] = F("errors") + len(errors)
        changes["error_details"] = (run.error_details + list(errors))[:MAX_ERROR_DETAILS]
    JobRun.objects.filter(pk=run_id).update(**changes)


def _close_chunk(
    chunk: JobChunk, steps: list[Step], *, processed: int, counted: int, skipped: int, errors: list[dict]
) -> list[JobChunk]:
    """Mark the chunk done and add its counts to the run (`counted` of `processed` already are), in the
    chunk's transaction; when it was the phase's last chunk, plan the next phase and return its chunks."""
    run = chunk.run
    JobChunk.objects.filter(pk=chunk.pk).update(
        done_at=timezone.now(),
        processed=processed,
        skipped=skipped,
        errors=len(errors),
        error_details=errors[:MAX_ERROR_DETAILS],
    )
    # The run's row lock orders the chunks' commits: the check below sees every chunk committed before this one.
    _add_to_run(run.pk, processed=processed - counted, skipped=skipped, errors=errors)
    phase = JobChunk.objects.filter(run_id=run.pk, step_index=chunk.step_index, sweep=chunk.sweep)
    if phase.filter(done_at__isnull=True).exists():
        return []
    run.refresh_from_db(fields=["state", "errors"])
    if run.state != JobRun.State.RUNNING:
        return []
    changed = phase.aggregate(total=Sum("processed"))["total"] or 0
    if changed and chunk.sweep + 1 < MAX_SWEEPS:
        return _plan(run, steps, step_index=chunk.step_index, sweep=chunk.sweep + 1)
    return _plan(run, steps, step_index=chunk.step_index + 1, sweep=0)


def run_chunk(chunk_id: int, steps: list[Step]) -> list[JobChunk]:
    """Process one chunk of a run; returns the next phase's chunks when this one closed its phase.

    The chunk's work, its counts and its `done_at` commit together. A chunk of a run that is no longer running
    (abandoned) does nothing: its rows are due for the run that replaced it. A chunk that raises is retried row by
    row, so one bad row is recorded on the run and the rest goes on. Every log line of the chunk carries its run's
    id (whichever worker runs it).
    """
    with job_run_context(None):
        return _run_chunk(chunk_id, steps)


def _run_chunk(chunk_id: int, steps: list[Step]) -> list[JobChunk]:
    peek = None
    try:
        with transaction.atomic():
            chunk = peek = _lock_chunk(chunk_id)
            if chunk is None or chunk.run.state != JobRun.State.RUNNING:
                return []
            run = chunk.run
            set_job_run(run.pk)
            step = steps[chunk.step_index]
            today, now = kst_date(run.as_of), run.as_of
            failed = _failed_ids(run, chunk.step_index)
            claimed = _claim(step, today, Span(chunk.first_id, chunk.last_id, failed))
            changed = step.process(claimed, now) if claimed else 0
            return _close_chunk(
                chunk, steps, processed=changed, counted=0, skipped=max(0, chunk.size - len(claimed)), errors=[]
            )
    except OperationalError:
        raise  # the database is gone: the task retries with backoff, nothing of this chunk was kept
    except Exception:  # noqa: BLE001 - one bad row must not stop the job: isolate it below
        if peek is None:
            raise  # not the chunk's work: reading the chunk itself failed
        logger.exception("%s: chunk %d failed, retrying its rows one by one", step.name, chunk_id)
    due = step.due(today).filter(pk__gte=peek.first_id, pk__lte=peek.last_id).exclude(pk__in=failed)
    changed, taken, errors = 0, 0, []
    for pk in due.order_by("pk").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                claimed = _claim(step, today, Span(pk, pk))
                changed_here = step.process(claimed, now) if claimed else 0
                _add_to_run(run.pk, processed=changed_here)  # the row's count in the row's transaction
            changed += changed_here
            taken += len(claimed)
        except Exception as error:  # noqa: BLE001 - recorded on the job run for operators
            logger.exception("%s: subscription %s failed", step.name, pk)
            errors.append({"step": step.name, "id": pk, "error": repr(error)[:500]})
            taken += 1
    with transaction.atomic():
        chunk = _lock_chunk(chunk_id)
        if chunk is None:
            return []
        return _close_chunk(
            chunk, steps, processed=changed, counted=changed, skipped=max(0, chunk.size - taken), errors=errors
        )


# --- a whole run in this process ------------------------------------------------------------------------------


def run_steps(
    job: str,
    steps: list[Step],
    *,
    now: datetime,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
) -> JobRun:
    """Run every step of a job as of `now` in this process, chunk after chunk, and return its JobRun."""
    run = open_run(job, now=now, chunk_size=chunk_size)
    with job_run_context(run.pk):  # every log line of the run carries its id
        pending = deque(plan_run(run, steps))
        while pending:
            chunk = pending.popleft()
            pending.extend(run_chunk(chunk.pk, steps))
            if on_chunk:
                on_chunk(chunk.size)
        run.refresh_from_db()
        logger.info("%s: processed %d, skipped %d, errors %d", job, run.processed, run.skipped, run.errors)
    return run


def count_due(steps: list[Step], *, now: datetime) -> int:
    today = kst_date(now)
    return sum(step.due(today).count() for step in steps)


# --- a job's steps over some subscriptions only -----------------------------------------------------------------


def process_due_of(steps: list[Step], subscription_ids: list[int], *, now: datetime) -> int:
    """What a run of the job as of ``now`` does to these subscriptions only, and to nothing else: each step in
    turn claims their due rows (the subscriptions, or their invoices for the invoice reminders) under the row
    locks and processes them, one transaction per step (or all in the caller's). No job run is recorded.
    ``seed_demo`` writes the demo customer's history so, running the jobs night by night over the demo
    subscriptions (subscriptions/demo.py).
    """
    today = kst_date(now)
    changed = 0
    for step in steps:
        due = step.due(today).filter(**{f"{step.subscription_path}__in": subscription_ids})
        # Its own transaction when called alone; within the caller's, no savepoint per step (a night of the demo).
        with transaction.atomic(savepoint=False):
            claimed = _lock(due)
            changed += step.process(claimed, now) if claimed else 0
    return changed
