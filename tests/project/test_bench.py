"""The benchmark must keep running: a quick lifecycle run, end to end, against a database of its own."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
JOB_ROWS = {
    "expire_trials: trial -> suspended": "300",
    "send_reminders: trial_ends_in_7_days": "300",
    "expire_trials: grace over -> terminated + purge": "150",
    "activate_scheduled_conversions": "300",
    "execute_scheduled_cancellations": "150",
    "renew_subscriptions: close + invoice": "300",
}


def _own_database_url() -> str:
    """The suite's DATABASE_URL with `_bench` appended to the database name: never the one a developer benches.
    Kept between runs (emptied by the benchmark itself), so that only the first run pays for the migrations."""
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/works_console"))
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))


@pytest.mark.slow
def test_quick_lifecycle_benchmark_verifies_every_job():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--only=lifecycle",
            f"--database-url={_own_database_url()}",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    for job in JOB_ROWS:
        row = next((line for line in lines if line.startswith(job)), None)
        assert row is not None, f"no table row for {job}:\n{output}"
        cells = row[len(job) :].split()
        assert cells[0] == JOB_ROWS[job], row
        assert "OK / OK" in row and row.rstrip().endswith("yes"), row
    assert "FAIL" not in result.stdout, output
