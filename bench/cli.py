"""`python -m bench` (`make bench`): lifecycle jobs beside raw SQL, then pages under load; prints tables."""

import argparse
import os
import platform
import sys
import time
import traceback
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/works_bench"
FULL = {
    "subscriptions": 100_000,
    "grace": 10_000,
    "cancellations": 20_000,
    "chunk_size": None,
    "clients": 8,
    "requests": 400,
    "duration": 30,
    "documents": 1_000,
}
QUICK = {
    "subscriptions": 300,
    "grace": 150,
    "cancellations": 150,
    "chunk_size": 100,
    "clients": 2,
    "requests": 20,
    "duration": 5,
    "documents": 30,
}
# Hard bounds, so that a typo cannot start an endless run.
MAX_ROWS = 2_000_000
MAX_CLIENTS = 64
MAX_REQUESTS = 10_000
JOB_NAMES = ("expire_trials", "send_reminders", "grace_expiry", "activation", "cancellation", "renewal")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small smoke run (300 subscriptions, 2 clients)")
    parser.add_argument("--subscriptions", type=int, help="due subscriptions per job (default 100,000)")
    parser.add_argument(
        "--grace-subscriptions", type=int, help="suspended trials to terminate and purge (default 10,000)"
    )
    parser.add_argument("--cancellations", type=int, help="reserved cancellations to execute (default 20,000)")
    parser.add_argument("--chunk-size", type=int, help="rows per chunk (default: the jobs' DEFAULT_CHUNK_SIZE)")
    parser.add_argument("--only", choices=["lifecycle", "pages", "documents"], help="run one part only")
    parser.add_argument("--documents", type=int, help="invoice PDFs to render (default 1,000)")
    parser.add_argument(
        "--jobs",
        default=",".join(JOB_NAMES),
        help=f"comma-separated lifecycle benchmarks to run (default: all of {', '.join(JOB_NAMES)})",
    )
    parser.add_argument(
        "--full-mail", action="store_true", help="build every reminder e-mail into MIME bytes (default: a sample)"
    )
    parser.add_argument("--clients", type=int, help="concurrent page clients (default 8)")
    parser.add_argument("--requests", type=int, help="requests per client and page (default 400)")
    parser.add_argument("--duration", type=float, help="seconds per page at most, whatever --requests (default 30)")
    parser.add_argument("--customer-subscriptions", type=int, default=20, help="subscriptions of the page customer")
    parser.add_argument("--conn-max-age", type=int, help="DATABASE_CONN_MAX_AGE for gunicorn (default: settings)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"the benchmark's own database on 127.0.0.1 (default {DEFAULT_DATABASE_URL}); created when missing",
    )
    parser.add_argument("--drop-database", action="store_true", help="drop the benchmark database at the end")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of each job (slower)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="only: trial expiry and renewal over N due subscriptions, job side, peak RSS at 10k/100k/1M "
        "(--jobs expire_trials or renewal for one of them)",
    )
    parser.add_argument(
        "--fan-out-workers",
        metavar="1,2,4",
        help="only: one renewal run of --subscriptions due, fanned out over each number of real Celery workers",
    )
    parser.add_argument(
        "--reset-timing",
        type=int,
        metavar="N",
        help="only: N password reset requests for a known address and N for an unknown one under gunicorn; the "
        "medians and their difference (SPEC 8: under 1 ms)",
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
        help="the Redis database of the --fan-out-workers run (default: BENCH_BROKER_URL or redis DB 12)",
    )
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    args.subscriptions = defaults["subscriptions"] if args.subscriptions is None else args.subscriptions
    args.grace_subscriptions = defaults["grace"] if args.grace_subscriptions is None else args.grace_subscriptions
    args.cancellations = defaults["cancellations"] if args.cancellations is None else args.cancellations
    args.chunk_size = args.chunk_size or defaults["chunk_size"]
    args.clients = args.clients or defaults["clients"]
    args.requests = args.requests or defaults["requests"]
    args.duration = args.duration or defaults["duration"]
    args.documents = defaults["documents"] if args.documents is None else args.documents
    if not 0 < args.duration <= 600:
        parser.error("--duration must be between 0 and 600 seconds")
    for name, value, high in (
        ("--subscriptions", args.subscriptions, MAX_ROWS),
        ("--grace-subscriptions", args.grace_subscriptions, MAX_ROWS),
        ("--cancellations", args.cancellations, MAX_ROWS),
        ("--clients", args.clients, MAX_CLIENTS),
        ("--requests", args.requests, MAX_REQUESTS),
        ("--customer-subscriptions", args.customer_subscriptions, 1_000),
        ("--documents", args.documents, 100_000),
    ):
        if not 0 <= value <= high:
            parser.error(f"{name} must be between 0 and {high:,}")
    if args.chunk_size is not None and not 1 <= args.chunk_size <= 100_000:
        parser.error("--chunk-size must be between 1 and 100,000")
    if args.reset_timing is not None and not 1 <= args.reset_timing <= MAX_REQUESTS:
        parser.error(f"--reset-timing must be between 1 and {MAX_REQUESTS:,}")
    if args.scale is not None and not 1 <= args.scale <= MAX_ROWS:
        parser.error(f"--scale must be between 1 and {MAX_ROWS:,}")
    if args.fan_out_workers is not None:
        try:
            args.fan_out_workers = [int(count) for count in args.fan_out_workers.split(",")]
        except ValueError:
            parser.error("--fan-out-workers takes worker counts separated by commas, e.g. 1,2,4")
        if not all(1 <= count <= 16 for count in args.fan_out_workers):
            parser.error("--fan-out-workers: each count between 1 and 16")
    args.jobs = [name.strip() for name in args.jobs.split(",") if name.strip()]
    unknown = set(args.jobs) - set(JOB_NAMES)
    if unknown:
        parser.error(f"unknown --jobs {', '.join(sorted(unknown))} (choose from {', '.join(JOB_NAMES)})")
    return args


def configure_django(database_url: str, broker_url: str = "redis://127.0.0.1:6379/12") -> None:
    """In-process settings: the bench database, debug defaults (no secret key needed), local Redis."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "works_console.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["CACHE_URL"] = "rediscache://127.0.0.1:6379/11"
    os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ["EMAIL_BACKEND"] = "bench.mail.CountingBackend"
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def lifecycle_section(args: argparse.Namespace, chunk_size: int, server_version: str) -> tuple[str, bool, list]:
    from bench import report, suite
    from bench.harness import Options

    log("bench: lifecycle jobs")
    sizes = {
        "expire_trials": args.subscriptions,
        "send_reminders": args.subscriptions,
        "grace_expiry": args.grace_subscriptions,
        "activation": args.subscriptions,
        "cancellation": args.cancellations,
        "renewal": args.subscriptions,
    }
    results = suite.run_all(
        sizes={name: rows for name, rows in sizes.items() if name in args.jobs},
        options=Options(chunk_size=chunk_size, profile=args.profile, full_mail=args.full_mail),
        log=log,
    )
    text = [
        f"Lifecycle jobs over N due subscriptions (PostgreSQL {server_version}, chunks of {chunk_size:,} rows)",
        "job = subscriptions.services.jobs.run_steps with the step of subscriptions.lifecycle.JOBS; "
        "raw = hand-written SQL doing the same writes in the same chunks and locks",
        "",
        report.lifecycle_table(results),
    ]
    for result in results:
        text += [f"{result.job}: {note}" for note in result.notes]
        for side, run in (("job", result.orm), ("raw", result.raw)):
            if not run.check.ok:
                text.append(f"FAIL {result.job} ({side}): {run.check.detail}")
        if not result.same_writes:
            text.append(f"FAIL {result.job}: the job and the raw SQL did not leave the same rows")
        if result.profile:
            text += ["", f"cProfile of the job {result.job} (top 15 by own time):", result.profile]
    return "\n".join(text), all(result.ok for result in results), results


def scale_section(args: argparse.Namespace, chunk_size: int) -> str:
    from bench import scale

    text = []
    if args.scale is not None:
        log(f"bench: scale, {args.scale:,} due subscriptions per job")
        results = scale.run_scale(
            args.scale, chunk_size=chunk_size, log=log, jobs=tuple(name for name in args.jobs if name in scale.JOBS)
        )
        text += [
            f"Month-end at scale: {args.scale:,} due subscriptions per job, job side only (run_steps in one "
            f"process, chunks of {chunk_size:,}); peak RSS = the process's resident high-water mark since the job "
            "started",
            "",
            scale.scale_table(results),
        ]
    if args.fan_out_workers is not None:
        log(f"bench: fan-out of one renewal run over {args.fan_out_workers} workers")
        results = scale.run_fan_out(
            args.subscriptions,
            counts=args.fan_out_workers,
            chunk_size=chunk_size,
            broker_url=args.broker_url,
            log=log,
        )
        text += [
            *([""] if text else []),
            f"One renewal run of {args.subscriptions:,} due subscriptions fanned out as chunk messages of "
            f"{chunk_size:,} over real Celery worker processes (solo pool) on {args.broker_url}, from the planning "
            "to the run's end",
            "",
            scale.fan_out_table(results),
        ]
    return "\n".join(text)


def documents_section(args: argparse.Namespace):
    from django.utils import timezone

    from bench import documents

    log("bench: billing documents (PDF)")
    result = documents.run_documents(args.documents, now=timezone.now(), log=log)
    text = "\n".join(
        [
            "Billing documents (issue 18): invoice PDFs rendered with WeasyPrint and kept in storage, as the mail "
            "step after the issuing commit does it; peak MiB = resident high-water mark above the start",
            "",
            documents.documents_table(result),
        ]
    )
    return text, result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from bench import db

    db.parse_local_url(args.database_url)  # refuses anything not on this machine before touching it
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    created = db.ensure_database(args.database_url)
    configure_django(args.database_url, args.broker_url)
    from django.db import connection

    from subscriptions.services.jobs import DEFAULT_CHUNK_SIZE

    chunk_size = args.chunk_size or DEFAULT_CHUNK_SIZE
    log(f"bench: database {connection.settings_dict['NAME']} ({'created' if created else 'exists'}), migrating ...")
    db.migrate()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]

    failed = False
    sections = []
    job_results, page_results = [], []
    if args.reset_timing is not None:
        from bench.reset_timing import reset_timing_table, run_reset_timing

        log("bench: password reset timing")
        timing = run_reset_timing(
            database_url=args.database_url, broker_url=args.broker_url, turns=args.reset_timing, log=log
        )
        sections.append(
            f"Password reset under gunicorn -w 2 (DEBUG off): {args.reset_timing} requests for a known address and "
            f"{args.reset_timing} for an unknown one, in turns, one client\n\n{reset_timing_table(timing)}"
        )
    elif args.scale is not None or args.fan_out_workers is not None:
        sections.append(scale_section(args, chunk_size))
    elif args.only in (None, "lifecycle"):
        try:
            text, ok, job_results = lifecycle_section(args, chunk_size, server_version)
        except Exception as error:  # noqa: BLE001 - the job code is being edited: report, then run the pages
            traceback.print_exc()
            text, ok = f"Lifecycle jobs: ERROR {error!r} (traceback above)", False
        failed |= not ok
        sections.append(text)
    document_result = None
    plain_run = args.scale is None and args.fan_out_workers is None and not args.reset_timing
    if args.only in (None, "documents") and plain_run and args.documents:
        text, document_result = documents_section(args)
        failed |= not document_result.ok
        sections.append(text)
    if args.only in (None, "pages") and plain_run:
        from bench import pages, report

        log("bench: pages under load")
        page_results = pages.run_pages(
            database_url=args.database_url,
            clients=args.clients,
            per_client=args.requests,
            duration=args.duration,
            subscriptions=args.customer_subscriptions,
            conn_max_age=args.conn_max_age,
            log=log,
        )
        sections.append(
            "\n".join(
                [
                    f"Pages under gunicorn -w 2 (DEBUG off), a customer with {args.customer_subscriptions} "
                    f"subscriptions, {args.clients} concurrent clients x {args.requests} requests each "
                    f"(or {args.duration:.0f} s per page, whichever comes first)",
                    "",
                    report.pages_table(page_results),
                ]
            )
        )

    connection.close()
    if args.drop_database:
        db.drop_database(args.database_url)
    elapsed = time.perf_counter() - started
    header = (
        f"Works Console benchmark - {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"whole run {elapsed:.0f} s, load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print("\n\n".join([header, *sections]))
    if args.json:
        from bench.report import figures_json

        Path(args.json).write_text(figures_json(job_results, page_results, document_result))
        log(f"bench: figures written to {args.json}")
    if failed:
        print("\nbench: FAIL - a verification did not find exactly N rows changed", file=sys.stderr)
    return 1 if failed else 0
