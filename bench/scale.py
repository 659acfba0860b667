"""`--scale N`: trial expiry and renewal over N due subscriptions (a month-end), job side only, with the peak
resident memory of the process after 10,000, 100,000 and 1,000,000 rows: flat means bounded memory per chunk.

`--fan-out-workers 1,2,4`: one renewal run fanned out over that many real Celery worker processes on Redis, as
beat starts it (the SPEC task plans, the workers take the chunk messages), timed from the planning to the
run's end; the speed-up is against one worker.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from bench import data, db, harness, money
from bench.metrics import CLEAR_REFS, _status_kib
from subscriptions.lifecycle import EXPIRE_TRIALS, RENEW
from subscriptions.models import JobRun
from works_console.dates import kst_date

MARKS = (10_000, 100_000, 1_000_000)
JOBS = ("expire_trials", "renewal")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ScaleResult:
    job: str
    rows: int
    seconds: float
    processed: int
    # Rows done -> peak RSS of the process so far (MiB), at each mark reached.
    peak_rss_mib: dict[int, float] = field(default_factory=dict)


def _peak_mib() -> float:
    return (_status_kib("VmHWM") or 0) / 1024


def run_scale(
    n: int, *, chunk_size: int, log, jobs: tuple[str, ...] = ("expire_trials", "renewal")
) -> list[ScaleResult]:
    from subscriptions.services.jobs import run_steps

    results = []
    cases = [
        case
        for name, case in (
            (
                "expire_trials",
                ("expire_trials: trial -> suspended", EXPIRE_TRIALS, "suspend_trial", data.load_due_trials),
            ),
            ("renewal", ("renew_subscriptions: close + invoice", RENEW, "close_period", money.load_renewals)),
        )
        if name in jobs
    ]
    with override_settings(DEBUG=False, EMAIL_BACKEND=harness.MAIL_BACKEND):
        for label, job, step_name, loader in cases:
            now = timezone.now()
            log(f"  scale {label}: loading {n:,} due subscriptions ...")
            started = time.perf_counter()
            data.load_fresh(loader, n, today=kst_date(now), now=now, analyze=db.data_tables())
            log(f"  scale {label}: loaded in {time.perf_counter() - started:.0f} s, running the job ...")
            marks = [mark for mark in MARKS if mark <= n]
            if n not in marks:
                marks.append(n)
            result = ScaleResult(job=label, rows=n, seconds=0.0, processed=0)
            done = {"rows": 0}

            def on_chunk(rows: int, result=result, marks=marks, done=done) -> None:
                done["rows"] += rows
                for mark in marks:
                    if done["rows"] >= mark and mark not in result.peak_rss_mib:
                        result.peak_rss_mib[mark] = _peak_mib()
                        log(f"    {mark:,} rows: peak RSS {result.peak_rss_mib[mark]:.0f} MiB")

            connection.close()  # a fresh connection: the loading's buffers are not the job's
            with contextlib.suppress(OSError):
                CLEAR_REFS.write_text("5")  # the high-water mark from here on
            started = time.perf_counter()
            run = run_steps(job, harness.steps_of(job, step_name), now=now, chunk_size=chunk_size, on_chunk=on_chunk)
            result.seconds = time.perf_counter() - started
            result.processed = run.processed
            results.append(result)
            log(f"  scale {label}: {run.processed:,} in {result.seconds:.0f} s")
        db.truncate()
    return results


def scale_table(results: list[ScaleResult]) -> str:
    from bench.report import table

    marks = sorted({mark for result in results for mark in result.peak_rss_mib})
    headers = ["job", "rows", "job s", "rows/s", *(f"peak RSS MiB at {mark:,}" for mark in marks)]
    rows = [
        [
            result.job,
            f"{result.rows:,}",
            f"{result.seconds:.1f}",
            f"{result.processed / result.seconds:,.0f}" if result.seconds else "-",
            *(f"{result.peak_rss_mib[mark]:.0f}" if mark in result.peak_rss_mib else "-" for mark in marks),
        ]
        for result in results
    ]
    return table(headers, rows, right=set(range(1, len(headers))))


# --- fan-out over real workers --------------------------------------------------------------------------------


@dataclass
class FanOutResult:
    workers: int
    rows: int
    seconds: float
    processed: int
    chunks: int


WORKER = """
import django
django.setup()
from works_console.celery import app
app.worker_main(["worker", "--pool=solo", "--concurrency=1", "--hostname=bench{index}@%h", "--loglevel=WARNING",
                 "--without-gossip", "--without-mingle"])
"""


def _start_workers(count: int, broker_url: str) -> list[subprocess.Popen]:
    # Production-like workers: DEBUG off (no query log), the bench database, the given broker.
    env = os.environ | {
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    return [
        subprocess.Popen(
            [sys.executable, "-c", WORKER.format(index=index)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(count)
    ]


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def run_fan_out(n: int, *, counts: list[int], chunk_size: int, broker_url: str, log) -> list[FanOutResult]:
    """One renewal run of N due subscriptions per worker count, each on freshly loaded data."""
    from subscriptions.tasks import start_job
    from works_console.celery import app

    results = []
    with override_settings(DEBUG=False, JOB_CHUNK_SIZE=chunk_size):
        for count in counts:
            now = timezone.now()
            data.load_fresh(money.load_renewals, n, today=kst_date(now), now=now, analyze=db.data_tables())
            connection.close()
            app.control.purge()
            workers = _start_workers(count, broker_url)
            try:
                deadline = time.monotonic() + 120
                while len(app.control.ping(timeout=1.0)) < count:  # every worker up before the clock starts
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{count} bench workers did not start within 120 s")
                started = time.perf_counter()
                planned = start_job(RENEW)
                run_id = planned["job_run"]
                while JobRun.objects.filter(pk=run_id, state=JobRun.State.RUNNING).exists():
                    time.sleep(0.05)
                seconds = time.perf_counter() - started
            finally:
                _stop_workers(workers)
            run = JobRun.objects.get(pk=run_id)
            results.append(FanOutResult(count, n, seconds, run.processed, run.chunks.count()))
            log(f"  fan-out over {count} worker(s): {run.processed:,} in {seconds:.1f} s")
        db.truncate()
    return results


def fan_out_table(results: list[FanOutResult]) -> str:
    from bench.report import table

    base = next((result.seconds for result in results if result.workers == 1), None)
    rows = [
        [
            str(result.workers),
            f"{result.rows:,}",
            f"{result.processed:,}",
            str(result.chunks),
            f"{result.seconds:.1f}",
            f"{result.processed / result.seconds:,.0f}" if result.seconds else "-",
            f"{base / result.seconds:.2f}x" if base and result.seconds else "-",
        ]
        for result in results
    ]
    headers = ["workers", "due", "processed", "chunks", "seconds", "rows/s", "speed-up"]
    return table(headers, rows, right=set(range(0, 7)))
