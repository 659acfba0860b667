"""Log lines carry the id of the job run they belong to (SPEC 11: for the people on call).

The job runner sets the current run with ``job_run_context``. Every log record of the process gets it as
``job_run`` ("-" outside a run) when the record is made (``install_job_run_on_records``, called when the
project package is imported), so the formats that print ``%(job_run)s`` (the LOGGING setting, Celery's worker
formats) can format any record: ours, Celery's and billiard's own, through whichever handler, shutdown included.
A filter on some handlers would leave out the records of handlers it was not added to (billiard's pool logger
printing "Process ... exited" when the worker stops), and formatting those failed with ``KeyError: 'job_run'``.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_job_run: ContextVar[int | None] = ContextVar("job_run", default=None)


@contextmanager
def job_run_context(job_run_id: int | None) -> Iterator[None]:
    """The run of the log lines inside; ``set_job_run`` may name it later (a chunk knows its run once read)."""
    token = _job_run.set(job_run_id)
    try:
        yield
    finally:
        _job_run.reset(token)


def set_job_run(job_run_id: int) -> None:
    """Name the run of the current ``job_run_context`` (reset with it when it ends)."""
    _job_run.set(job_run_id)


def current_job_run() -> int | None:
    return _job_run.get()


def _with_job_run(make_record: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record_with_job_run(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        job_run = _job_run.get()
        record.job_run = job_run if job_run is not None else "-"
        return record

    make_record_with_job_run.adds_job_run = True
    return make_record_with_job_run


def install_job_run_on_records() -> None:
    """Make every log record of this process carry ``job_run`` from its creation (once; idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "adds_job_run", False):
        logging.setLogRecordFactory(_with_job_run(current))
