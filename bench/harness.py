"""The shared runner of the lifecycle and money benchmarks: one job beside its raw-SQL baseline.

The job side is the real code path: `subscriptions.services.jobs.run_steps` with a step of
`subscriptions.lifecycle.JOBS`, as the Celery task runs it. The raw side claims the same keyset chunks with the
same lock (`FOR UPDATE OF s SKIP LOCKED`, one transaction per chunk) and writes the same rows in as few
statements as SQL allows: what is left between the two columns is the ORM, the Python around it and the query
shape. Each run is checked (exactly N subscriptions changed, with exactly the expected rows), and the rows
both sides wrote are compared. The benchmarks themselves live in bench/lifecycle.py and bench/money.py, the raw
SQL they share in bench/raw.py; this module imports none of them.
"""

import cProfile
import io
import pstats
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from bench import data
from bench.metrics import PeakMemory, QueryMeter
from bench.tables import EVT, INV, MEM, REM, SUB, WS
from subscriptions.lifecycle import JOBS
from subscriptions.models import JobRun
from subscriptions.services.core import job_actor
from works_console.dates import kst_date

MAIL_BACKEND = "bench.mail.CountingBackend"


@dataclass(frozen=True)
class Options:
    chunk_size: int
    profile: bool = False
    full_mail: bool = False


@dataclass
class Check:
    ok: bool
    detail: str = ""

    @property
    def label(self) -> str:
        return "OK" if self.ok else "FAIL"


@dataclass
class Run:
    seconds: float
    meter: QueryMeter
    peak_mib: float
    check: Check = field(default_factory=lambda: Check(False, "not verified"))
    fingerprint: str = ""

    @property
    def sql_share(self) -> float:
        return self.meter.sql_seconds / self.seconds if self.seconds else 0.0


@dataclass
class JobResult:
    job: str
    rows: int
    orm: Run
    raw: Run
    profile: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.orm.seconds / self.raw.seconds if self.raw.seconds else float("inf")

    @property
    def same_writes(self) -> bool:
        return bool(self.orm.fingerprint) and self.orm.fingerprint == self.raw.fingerprint

    @property
    def ok(self) -> bool:
        return self.orm.check.ok and self.raw.check.ok and self.same_writes


# --- measuring ------------------------------------------------------------------------------------------------


def steps_of(job: str, name: str) -> list:
    steps = [step for step in JOBS[job] if step.name == name]
    if not steps:
        raise SystemExit(f"bench: {job} has no step {name!r} any more (steps: {[s.name for s in JOBS[job]]})")
    return steps


def measure(work: Callable[[QueryMeter], object]) -> tuple[Run, object]:
    meter = QueryMeter()
    with PeakMemory() as memory, connection.execute_wrapper(meter):
        meter.start()
        started = time.perf_counter()
        result = work(meter)
        seconds = time.perf_counter() - started
    return Run(seconds, meter, memory.mib), result


def _orm_run(job: str, steps: list, now: datetime, options: Options) -> tuple[Run, JobRun, str]:
    """The job's steps through run_steps, as the Celery task runs them."""
    from subscriptions.services.jobs import run_steps

    profiler = cProfile.Profile() if options.profile else None

    def work(meter: QueryMeter) -> JobRun:
        if profiler:
            profiler.enable()
        try:
            return run_steps(job, steps, now=now, chunk_size=options.chunk_size, on_chunk=meter.chunk_done)
        finally:
            if profiler:
                profiler.disable()

    run, job_run = measure(work)
    text = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        text = out.getvalue()
    return run, job_run, text


def _raw_run(n: int, chunk_size: int, chunk: Callable[[object, int, dict], list[int]], params: dict) -> Run:
    """Keyset chunks, `chunk(cursor, last_id, params)` in one transaction each, until a chunk claims nothing;
    bounded by N / chunk size."""

    def work(meter: QueryMeter) -> int:
        last_id, done = 0, 0
        for _ in range(n // chunk_size + 3):
            with transaction.atomic(), connection.cursor() as cursor:
                ids = chunk(cursor, last_id, params)
            meter.chunk_done(len(ids))
            if not ids:
                return done
            done += len(ids)
            last_id = max(ids)
        raise RuntimeError("the raw baseline did not finish within N / chunk size + 3 chunks")

    # The baseline's long CTE statements have estimated costs that start PostgreSQL's JIT compiler: about two
    # seconds per statement on this machine, more than the statement itself. An OLTP workload runs without it.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        run, _done = measure(work)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    return run


# --- checking -------------------------------------------------------------------------------------------------


def fetch_one(sql: str, params: dict | None = None) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()


def expect(pairs: dict[str, tuple[int, int]]) -> Check:
    wrong = [f"{name}: {got} (expected {want})" for name, (got, want) in pairs.items() if got != want]
    return Check(not wrong, "; ".join(wrong))


def _job_run_pairs(job_run: JobRun | None, n: int) -> dict[str, tuple[int, int]]:
    if job_run is None:
        return {}
    return {"job run processed": (job_run.processed, n), "job run errors": (job_run.errors, 0)}


# Everything both sides may write, minus what differs by nature (generated ids, the random public ids: an event
# naming an invoice is compared on that invoice's period).
FINGERPRINT = f"""
SELECT md5(coalesce((SELECT string_agg(concat_ws('|', id, status, terminated_on, purged_at, workspace_id,
                                                 admin_account_id), ',' ORDER BY id) FROM {SUB}), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, kind, from_status, to_status, actor,
                                                 actor_user_id, at, (details - 'final_invoice')::text,
                                                 details ? 'final_invoice',
                                                 (SELECT i.period_index FROM {INV} i
                                                  WHERE i.public_id = e.details->>'final_invoice'
                                                    AND i.subscription_id = e.subscription_id)), ','
                                       ORDER BY subscription_id, kind, id) FROM {EVT} e), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, kind, key, sent_at), ','
                                       ORDER BY subscription_id, kind, key) FROM {REM}), ''))
    || md5(coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM {WS}), ''))
    || md5(coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM {MEM}), ''))
"""


def fingerprint() -> str:
    return fetch_one(FINGERPRINT)[0]


# --- one benchmark: the job beside its raw SQL ----------------------------------------------------------------

Counts = dict[str, tuple[int, int]]


def one_statement(sql: str) -> Callable[[object, int, dict], list[int]]:
    """A raw chunk that is one statement: it claims, writes and returns the ids of the subscriptions it changed."""

    def chunk(cursor, last_id: int, params: dict) -> list[int]:
        cursor.execute(sql, params | {"last": last_id})
        return [row[0] for row in cursor.fetchall()]

    return chunk


def claim_params(job: str, now: datetime, options: Options) -> dict:
    """What most raw chunks claim and write with: today (KST), now, the chunk size and the job's actor."""
    return {"today": kst_date(now), "now": now, "limit": options.chunk_size, "actor": job_actor(job)[0]}


def job_beside_raw(
    row: str,
    n: int,
    options: Options,
    *,
    job: str,
    step: str,
    now: datetime,
    load: Callable[..., object],
    counts: Callable[[], Counts],
    raw_params: Callable[[], dict],
    raw_chunk: Callable[[object, int, dict], list[int]],
    job_counts: Callable[[], Counts] = dict,
    analyze: Iterable[str] = data.LOADED_TABLES,
    fingerprint: Callable[[], str] = fingerprint,
) -> JobResult:
    """One row of the table: N due subscriptions loaded by `load`, the job's `step` run through run_steps, then
    the same data loaded again for the raw side's chunks: `raw_chunk(cursor, last_id, params)` (see _raw_run) with
    the `raw_params()` of this run, asked for only then (a lookup of theirs warms no cache for the job side).

    After each side `counts` gives {what: (counted, expected)}, which must agree; the job side must also agree on
    `job_counts` and on its JobRun record. `fingerprint` (of every table either side writes) tells whether both
    wrote the same rows; `analyze` are the tables given fresh planner statistics after each load.
    """
    steps = steps_of(job, step)
    today = kst_date(now)
    data.load_fresh(load, n, today=today, now=now, analyze=analyze)
    orm, job_run, profile = _orm_run(job, steps, now, options)
    orm.check = expect(counts() | job_counts() | _job_run_pairs(job_run, n))
    orm.fingerprint = fingerprint()

    data.load_fresh(load, n, today=today, now=now, analyze=analyze)
    raw = _raw_run(n, options.chunk_size, raw_chunk, raw_params())
    raw.check, raw.fingerprint = expect(counts()), fingerprint()
    return JobResult(row, n, orm, raw, profile)
