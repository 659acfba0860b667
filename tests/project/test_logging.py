"""Every log line prints its job run (`[job_run=...]`), whatever logger made it and whichever handler prints it
(issue 19: stopping the worker printed `Logging error ... KeyError: 'job_run'` for billiard's own lines)."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from celery.app.log import TaskFormatter
from django.conf import settings

from tests.subscriptions.workers import worker_env
from works_console.celery import app
from works_console.logging import job_run_context

ROOT = Path(__file__).resolve().parents[2]


def _formats() -> list:
    return [
        pytest.param(logging.Formatter(settings.LOGGING["formatters"]["default"]["format"]), id="LOGGING"),
        pytest.param(logging.Formatter(settings.CELERY_WORKER_LOG_FORMAT), id="worker"),
        pytest.param(TaskFormatter(settings.CELERY_WORKER_TASK_LOG_FORMAT), id="worker-task"),
    ]


def _printed(formatter: logging.Formatter, logger_name: str, message: str) -> str:
    # A bare handler, as Celery sets up for billiard's pool logger: no filter of ours is on it.
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        logger.error(message)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("formatter", _formats())
@pytest.mark.parametrize("logger_name", ["multiprocessing", "celery.worker", "subscriptions.services.jobs"])
def test_any_logger_prints_through_a_bare_handler_with_no_run(formatter, logger_name, capsys):
    printed = _printed(formatter, logger_name, "Process 'ForkPoolWorker-1' exited with 'signal 15 (SIGTERM)'")

    assert "[job_run=-]" in printed
    assert "Logging error" not in capsys.readouterr().err


@pytest.mark.parametrize("formatter", _formats())
def test_a_line_logged_inside_a_job_run_prints_its_id(formatter):
    with job_run_context(4127):
        printed = _printed(formatter, "multiprocessing", "chunk done")

    assert "[job_run=4127]" in printed


def _wait_for(lines: list[str], text: str, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while not any(text in line for line in lines) and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.django_db
def test_the_worker_logs_its_pool_and_stops_like_ctrl_c_in_make_run_without_a_logging_error():
    app.control.purge()
    # Celery's prefork pool, as Procfile.dev runs it, in a process group of its own.
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "works_console",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--hostname=logging@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=worker_env() | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stdout), daemon=True)
    reader.start()
    _wait_for(lines, " ready.", worker)

    # A pool process ends (as when Ctrl-C reaches the whole group): billiard's own logger reports it, through the
    # handler Celery gave it. Then the group stops, as honcho or a terminal stops it.
    child = int(Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()[0])
    os.kill(child, signal.SIGTERM)
    _wait_for(lines, "exited with", worker)
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=60)
    reader.join(timeout=10)

    output = "".join(lines)
    assert " ready." in output
    assert "exited with 'signal 15 (SIGTERM)'" in output
    assert "Warm shutdown" in output
    assert "Logging error" not in output
    assert "KeyError" not in output
