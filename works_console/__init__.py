from .logging import install_job_run_on_records

# Before anything logs: every record carries the job run id that the log formats print (works_console/logging.py).
install_job_run_on_records()

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
