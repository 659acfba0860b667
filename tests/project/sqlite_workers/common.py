"""Shared by the worker processes of tests/project/test_sqlite_concurrency.py: Django set up on the SQLite file
named by DATABASE_URL, and a start line read from the test, so both workers begin writing together."""

import os
import sys

import django


def setup_and_wait_for_start() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "works_console.settings_test")
    django.setup()
    from django.db import connection

    connection.ensure_connection()  # the init_command (journal mode) runs here, before the race starts
    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
