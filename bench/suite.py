"""Every job benchmark, lifecycle then money, in the order of the printed table (`python -m bench`)."""

import time

from django.test.utils import override_settings

from bench import db
from bench.harness import MAIL_BACKEND, JobResult, Options
from bench.lifecycle import LIFECYCLE_BENCHMARKS
from bench.money import MONEY_BENCHMARKS

JOB_BENCHMARKS = LIFECYCLE_BENCHMARKS | MONEY_BENCHMARKS


def run_all(*, sizes: dict[str, int], options: Options, log=print) -> list[JobResult]:
    """The benchmarks named in `sizes` (name -> due subscriptions), in JOB_BENCHMARKS order.

    DEBUG's query log is off while measuring: it would format every statement (a 1,000-row INSERT is a long
    string) and keep the last 9,000, which no worker does and which would skew both time and memory.
    """
    results = []
    with override_settings(DEBUG=False, EMAIL_BACKEND=MAIL_BACKEND):
        for name, bench in JOB_BENCHMARKS.items():
            rows = sizes.get(name, 0)
            if rows <= 0:
                continue
            log(f"  {name}: {rows:,} due subscriptions, job then raw SQL ...")
            started = time.perf_counter()
            results.append(bench(rows, options))
            log(f"  {name}: done in {time.perf_counter() - started:.1f} s (data loading included)")
        db.truncate()
    return results
