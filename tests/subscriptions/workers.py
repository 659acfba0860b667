"""Real Celery worker processes on the suite's Redis and PostgreSQL, for the fan-out and crash tests."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# Starts a worker like `celery -A works_console worker`, after running the test's own lines (e.g. a patch).
WORKER_SCRIPT = """
import django
django.setup()
{prelude}
from works_console.celery import app
app.worker_main(["worker", "--pool=solo", "--concurrency=1", "--hostname={name}@%h", "--loglevel=WARNING",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"])
"""


def worker_env() -> dict[str, str]:
    """The test database (pytest-django's test_ copy) and the suite's broker, for a child process."""
    db = settings.DATABASES["default"]
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "works_console.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }


def start_workers(count: int, *, prelude: str = "") -> list[subprocess.Popen]:
    """`count` worker processes (solo pool: one task at a time each); stop them with `stop_workers`."""
    from works_console.celery import app

    app.control.purge()  # nothing left over from an earlier test in this suite's broker database
    return [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT.format(prelude=prelude, name=f"fanout{index}")],
            cwd=ROOT,
            env=worker_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_until(condition: Callable[[], bool], *, timeout: float = 90, what: str = "the workers") -> None:
    """Poll `condition` until it holds: the workers are other processes, the test can only watch them."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not get there within {timeout:.0f} s")
        time.sleep(0.1)
