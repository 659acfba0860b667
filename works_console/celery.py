import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "works_console.settings")

app = Celery("works_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_the_job_run(logger, **kwargs) -> None:
    """The worker's handlers print the job run id of each line (works_console/logging.py)."""
    from works_console.logging import JobRunFilter

    for handler in logger.handlers:
        handler.addFilter(JobRunFilter())
