"""The suite's broker as a worker sees it: what the code under test queued, taken off Redis and run in the test.

A page that queues a Celery task (the password reset mail) publishes a real message on the suite's Redis. A test
takes it off the queue and runs it with `Task.apply`, as the suite runs tasks elsewhere (test_fan_out), in the
test's own thread: so the task sees the test's rows (a worker process could not see them before the test's
transaction ends) and its settings (the SMTP server of tests.smtp). tests/subscriptions/workers.py starts real
worker processes where a test needs one.
"""

import json

import pytest
from celery.result import EagerResult

from works_console.celery import app


def purge_queue() -> None:
    """Nothing left over from an earlier test in this suite's broker database."""
    app.control.purge()


@pytest.fixture
def empty_queue():
    """The broker's queue empty before the test, and emptied of what the test left."""
    purge_queue()
    yield
    purge_queue()


def queued_task_names() -> list[str]:
    """The names of the tasks waiting on the default queue, oldest first, without taking them."""
    with app.connection_for_read() as connection:
        client = connection.default_channel.client  # Redis: the queue is a list, newest first
        messages = client.lrange(app.conf.task_default_queue, 0, -1)
    return [json.loads(raw)["headers"]["task"] for raw in reversed(messages)]


def run_queued_tasks() -> list[EagerResult]:
    """Take every message off the default queue and run its task here, oldest first; the results, in order."""
    results = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    return results
                args, kwargs, _embed = message.decode()
                results.append(app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs))
                message.ack()
        finally:
            queue.close()
