"""The benchmark must keep running: a quick lifecycle run, end to end, against a database of its own."""

import json
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
def test_quick_lifecycle_benchmark_verifies_every_job(tmp_path):
    figures = tmp_path / "figures.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--only=lifecycle",
            f"--database-url={_own_database_url()}",
            f"--json={figures}",
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
    written = json.loads(figures.read_text())
    assert [job["job"] for job in written["jobs"]] == list(JOB_ROWS)
    assert [job["rows"] for job in written["jobs"]] == [int(rows) for rows in JOB_ROWS.values()]
    assert all(job["same_writes"] is True for job in written["jobs"])
    keys = {"job", "rows", "job_s", "raw_s", "peak_mib", "same_writes", "q_per_chunk"}
    assert all(set(job) == keys for job in written["jobs"])
    # Queries per chunk of each side (the median): a script holds the job to its budget with them.
    for job in written["jobs"]:
        assert set(job["q_per_chunk"]) == {"job", "raw"}, job
        assert all(isinstance(count, int) and count >= 1 for count in job["q_per_chunk"].values()), job
    assert written["pages"] == []


@pytest.mark.slow
def test_scale_run_gives_the_peak_memory_of_each_job_at_each_mark():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scale=400", "--chunk-size=100", f"--database-url={_own_database_url()}"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "peak RSS MiB at 400" in result.stdout, output
    for job in ("expire_trials: trial -> suspended", "renew_subscriptions: close + invoice"):
        row = next(line for line in result.stdout.splitlines() if line.startswith(job))
        assert row[len(job) :].split()[0] == "400", row


@pytest.mark.slow
def test_the_reset_timing_run_times_known_and_unknown_addresses_under_gunicorn():
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--reset-timing=5",
            f"--database-url={_own_database_url()}",
            f"--broker-url={broker}",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    rows = {
        line.split()[0]: line.split()[1]
        for line in result.stdout.splitlines()
        if line.startswith(("known", "unknown"))
    }
    assert rows == {"known": "5", "unknown": "5"}, output
    assert "difference of the medians:" in result.stdout, output
    assert "answers other than 302: 0" in result.stdout, output
