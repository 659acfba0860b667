"""Log lines carry the id of the job run they belong to (SPEC 11: for the people on call).

The job runner sets the current run with ``job_run_context``; ``JobRunFilter``, attached to the handlers (the
LOGGING setting, and Celery's worker handlers in works_console/celery.py), copies it onto every record as
``job_run`` ("-" outside a run), which the formats print.
"""

import logging
from collections.abc import Iterator
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


class JobRunFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        job_run = _job_run.get()
        record.job_run = job_run if job_run is not None else "-"
        return True
