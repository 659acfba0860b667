"""The embedded SQLite default of `make run` answers no "database is locked" while jobs write (SPEC 10; issue 12
point 9): web writes and lifecycle jobs run at once, in two processes, against one SQLite file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_ROUNDS, SAVES_PER_LOGIN = 10, 8
JOB_ROUNDS, TRIALS_PER_ROUND = 8, 20

pytestmark = pytest.mark.slow


def _environment(tmp_path: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "works_console.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # As `make run`: the file cache, nothing shared with the suite's Redis.
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("SQLITE_BUSY_TIMEOUT", None)
    return environment


def _start(module: str, *counts: int, environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", f"tests.project.sqlite_workers.{module}", *map(str, counts)],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_web_writes_and_jobs_at_once_on_sqlite_never_see_a_locked_database(tmp_path):
    environment = _environment(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=environment, check=True
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from datetime import timedelta; from django.utils import timezone;"
            " from works_console.dates import kst_date;"
            " from tests.subscriptions.factories import ActiveSubscriptionFactory;"
            " ActiveSubscriptionFactory(customer__email='web@example.com', workspace__name='web-paid',"
            " paid_start=kst_date(timezone.now()) - timedelta(days=5))",
        ],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    journal_mode = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
            " print(c.fetchone()[0])",
        ],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    assert journal_mode.stdout.split()[-1] == "wal"

    # given two processes, each ready and waiting on its standard input
    web = _start("web", WEB_ROUNDS, SAVES_PER_LOGIN, environment=environment)
    jobs = _start("jobs", JOB_ROUNDS, TRIALS_PER_ROUND, environment=environment)
    assert web.stdout.readline().strip() == "ready", web.stderr.read()
    assert jobs.stdout.readline().strip() == "ready", jobs.stderr.read()

    # when both start writing at once
    for worker in (web, jobs):
        worker.stdin.write("go\n")
        worker.stdin.flush()
    web_out, web_err = web.communicate(timeout=300)
    jobs_out, jobs_err = jobs.communicate(timeout=300)

    # then neither saw a locked database: every login and renewal change answered with its redirect
    assert "database is locked" not in web_err + jobs_err
    assert (web.returncode, jobs.returncode) == (0, 0), web_err + jobs_err
    assert json.loads(web_out) == [302] * (WEB_ROUNDS * (1 + SAVES_PER_LOGIN))
    # and every job run finished without an error (run_lifecycle prints each run's summary, then the total)
    assert jobs_out.splitlines()[-1] == f"job runs: {5 * JOB_ROUNDS}, errors: 0"
